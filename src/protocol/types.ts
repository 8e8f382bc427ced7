/**
 * Wire types of the Tinker management API. Field names follow the wire
 * (snake_case), so JSON from the API, the CLI and the docs reads the same.
 * Unknown fields the service adds pass through untouched.
 * @module
 */

/**
 * Kind of checkpoint: `training` (from save_state), `sampler` (a PEFT adapter) or `external`
 * (the service's HF-format export, fetched file by file). Open for newer kinds.
 */
export type CheckpointType =
  | "training"
  | "sampler"
  | "external"
  | (string & Record<never, never>);

/** A saved checkpoint as the service describes it. */
export interface Checkpoint {
  /** Id within its run, keeping the kind: `weights/0001`, `sampler_weights/final`. */
  checkpoint_id: string;
  /** `training`, `sampler` or `external`. */
  checkpoint_type: CheckpointType;
  /** Creation time, ISO 8601. */
  time: string;
  /** `tinker://<run>/<kind>/<name>`. */
  tinker_path: string;
  /** Archive size in bytes, when known. */
  size_bytes?: number | null;
  /** Whether other users can read and download it. */
  public?: boolean;
  /** When it expires (ISO 8601), or null for never. */
  expires_at?: string | null;
  /** Metadata attached when it was saved, or null. */
  user_metadata?: Record<string, string> | null;
  /** The base model of its weights (newer services). */
  base_model?: string | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Pagination cursor: there are more items while `offset + limit < total_count`. */
export interface Cursor {
  /** Offset of this page. */
  offset: number;
  /** Page size requested. */
  limit: number;
  /** Total number of items. */
  total_count: number;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Response of the checkpoint listings. */
export interface CheckpointsListResponse {
  /** The checkpoints on this page, newest first. */
  checkpoints: Checkpoint[];
  /** The page cursor (null for a run's unpaginated listing). */
  cursor?: Cursor | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** A training run (one LoRA training client). */
export interface TrainingRun {
  /** The run id, e.g. `<session>:train:0`. */
  training_run_id: string;
  /** Base model name. */
  base_model: string;
  /** Owner of the run. */
  model_owner: string;
  /** Whether this is a LoRA run. */
  is_lora: boolean;
  /** Whether the run is marked corrupted. */
  corrupted?: boolean;
  /** LoRA rank, when LoRA. */
  lora_rank?: number | null;
  /** Last activity, ISO 8601. */
  last_request_time: string;
  /** The newest training checkpoint. */
  last_checkpoint?: Checkpoint | null;
  /** The newest sampler checkpoint. */
  last_sampler_checkpoint?: Checkpoint | null;
  /** Free-form metadata. */
  user_metadata?: Record<string, string> | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Response of the training-run listing. */
export interface TrainingRunsResponse {
  /** Runs on this page. */
  training_runs: TrainingRun[];
  /** The page cursor. */
  cursor: Cursor;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** What the service knows of a checkpoint's weights. */
export interface WeightsInfoResponse {
  /** Base model the weights belong to. */
  base_model: string;
  /** Whether these are LoRA weights. */
  is_lora: boolean;
  /** LoRA rank. */
  lora_rank?: number | null;
  /** Whether the unembedding is trained. */
  train_unembed?: boolean | null;
  /** Whether MLP layers are trained. */
  train_mlp?: boolean | null;
  /** Whether attention layers are trained. */
  train_attn?: boolean | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** A signed archive URL and when it expires. */
export interface CheckpointArchiveUrlResponse {
  /** The pre-signed URL; fetch it without the API key. */
  url: string;
  /** Expiry, ISO 8601. */
  expires: string;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Response of the session listing. */
export interface SessionsListResponse {
  /** Session ids. */
  sessions: string[];
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** A session's runs and samplers. */
export interface SessionResponse {
  /** Training run ids made in this session. */
  training_run_ids: string[];
  /** Sampler ids made in this session. */
  sampler_ids: string[];
  /** Metadata given when the session was created (newer services). */
  user_metadata?: Record<string, string> | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Which runs a listing covers: the caller's own, or also others' runs with public checkpoints. */
export type AccessScope = "owned" | "accessible";

/** Signed download URLs of an external checkpoint's files, and when they expire. */
export interface ExternalWeightsUrlsResponse {
  /** One pre-signed URL per file, keyed by its path relative to the checkpoint root. */
  urls: Record<string, string>;
  /** Expiry of the URLs, ISO 8601. */
  expires: string;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** A sampler: its base model and the sampler checkpoint it serves, if any. */
export interface GetSamplerResponse {
  /** The sampler (sampling session) id. */
  sampler_id: string;
  /** Its base model. */
  base_model: string;
  /** The `tinker://…/sampler_weights/…` path it was created from, or null for a base model. */
  model_path?: string | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** One base model the service supports. */
export interface SupportedModel {
  /** Its name, e.g. `Qwen/Qwen3-8B`. */
  model_name?: string | null;
  /** Longest context it takes, in tokens, when the service says. */
  max_context_length?: number | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** What `get_server_capabilities` answers. */
export interface GetServerCapabilitiesResponse {
  /** The base models it supports. */
  supported_models: SupportedModel[];
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** What `get_info` answers about a training client's model. */
export interface GetInfoResponse {
  /** Architecture, model name and tokenizer of the base model. */
  model_data: {
    arch?: string | null;
    model_name?: string | null;
    tokenizer_id?: string | null;
    [extra: string]: unknown;
  };
  /** The model (training run) id. */
  model_id: string;
  /** Whether it is a LoRA. */
  is_lora?: boolean | null;
  /** Its LoRA rank. */
  lora_rank?: number | null;
  /** Its base model name. */
  model_name?: string | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/**
 * What `POST /api/v1/client/config` answers: the service's feature flags for this caller. Every
 * flag has a default, so `{}` is a valid answer; the two that decide authentication are filled in.
 */
export interface ClientConfigResponse {
  /** Whether credentials are exchanged for JWTs at `POST /api/v1/auth/token` (default false). */
  pjwt_auth_enabled: boolean;
  /**
   * With JWT auth on, where the exchanged credential comes from: `api_key` (default: the usual
   * order) or `credential_cmd` (the organization requires dynamic credentials: the output of
   * `TINKER_CREDENTIAL_CMD`, or a key that is itself a JWT). Other values read as `api_key`.
   */
  credential_default_source: string;
  /** The other flags (transport and batching tuning of the training SDK), as sent. */
  [extra: string]: unknown;
}
