/**
 * What the official Tinker Python SDK (`tinker`, ~0.25, Stainless-generated) expects on the wire,
 * transcribed as facts from its source into small validators: the pydantic models it parses
 * responses into (required vs optional fields, types, literal values, extra-field policy), the
 * request models it serialises (so a test sends exactly what the SDK sends), and the headers it
 * puts on every request. No SDK code is copied; each schema names the file it was read from in
 * the public repository `thinking-machines-lab/tinker`.
 *
 * Facts that apply to every schema below:
 * - Response models derive from `BaseModel` (`src/tinker/_models.py`):
 *   `ConfigDict(frozen=True, extra="ignore")`, so unknown fields are dropped, never an error.
 *   Request models derive from `StrictBase` in the same file: `extra="forbid"`.
 * - `ServiceClient` builds its clients with `_strict_response_validation=True`
 *   (`src/tinker/lib/public_interfaces/service_client.py`), so REST responses go through full
 *   pydantic validation (`validate_type` in `src/tinker/_base_client.py`), and future results go
 *   through `model_validate` (`src/tinker/lib/api_future_impl.py`).
 * - A field with a default may be absent; it may be `null` only if its type is `X | None`.
 * @module
 */

/** Problems found, and the unknown fields seen (allowed where the model ignores extras). */
export interface Findings {
  /** What the SDK would reject. */
  problems: string[];
  /** Paths of fields the SDK model does not declare (dropped by `extra="ignore"`). */
  extras: string[];
}

/** Checks one value at `path`, adding to `out`. */
export type Check = (value: unknown, path: string, out: Findings) => void;

/** One declared field of a model. */
export interface Field {
  /** The type check. */
  check: Check;
  /** Whether pydantic requires the key (no default). */
  required: boolean;
}

/** A pydantic model as the SDK declares it. */
export interface ModelSchema {
  /** The class name. */
  name: string;
  /** Where the model was transcribed from (repository and path). */
  source: string;
  /** `BaseModel` ignores unknown fields; `StrictBase` forbids them. */
  base: "BaseModel" | "StrictBase";
  /** The declared fields. */
  fields: Record<string, Field>;
}

const REPO = "thinking-machines-lab/tinker";

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function fail(out: Findings, path: string, expected: string, v: unknown): void {
  out.problems.push(`${path}: expected ${expected}, got ${describe(v)}`);
}

/** `str`. */
export function str(v: unknown, path: string, out: Findings): void {
  if (typeof v !== "string") fail(out, path, "str", v);
}

/** `int` (a JSON number without a fraction). */
export function int(v: unknown, path: string, out: Findings): void {
  if (typeof v !== "number" || !Number.isInteger(v)) fail(out, path, "int", v);
}

/** `float` (pydantic takes any JSON number). */
export function float(v: unknown, path: string, out: Findings): void {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(out, path, "float", v);
}

/** `bool`. */
export function bool(v: unknown, path: string, out: Findings): void {
  if (typeof v !== "boolean") fail(out, path, "bool", v);
}

/** `Any`. */
export function any(_v: unknown, _path: string, _out: Findings): void {}

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `datetime`: an ISO 8601 string pydantic parses. A zone is required too: the SDK's CLI
 * subtracts these from an aware `now()` (`src/tinker/cli/output.py` `format_timestamp`), which a
 * naive datetime would break.
 */
export function datetime(v: unknown, path: string, out: Findings): void {
  if (typeof v !== "string" || !ISO_DATETIME.test(v) || Number.isNaN(Date.parse(v))) {
    fail(out, path, "an ISO 8601 datetime with a zone", v);
  }
}

/** `Literal[...]`. */
export function literal(...values: string[]): Check {
  return (v, path, out) => {
    if (typeof v !== "string" || !values.includes(v)) {
      fail(out, path, `one of ${values.map((x) => JSON.stringify(x)).join(" | ")}`, v);
    }
  };
}

/** `X | None`. */
export function nullable(check: Check): Check {
  return (v, path, out) => {
    if (v !== null) check(v, path, out);
  };
}

/** `list[X]`. */
export function list(check: Check): Check {
  return (v, path, out) => {
    if (!Array.isArray(v)) return fail(out, path, "a list", v);
    v.forEach((item, i) => check(item, `${path}[${i}]`, out));
  };
}

/** `dict[str, X]`. */
export function dict(check: Check): Check {
  return (v, path, out) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      return fail(out, path, "a dict", v);
    }
    for (const [k, item] of Object.entries(v)) check(item, `${path}.${k}`, out);
  };
}

/** A nested model. */
export function model(schema: ModelSchema): Check {
  return (v, path, out) => checkModel(schema, v, path, out);
}

/** A required field (no default in the model). */
export function req(check: Check): Field {
  return { check, required: true };
}

/** A field with a default (may be absent). */
export function opt(check: Check): Field {
  return { check, required: false };
}

function checkModel(schema: ModelSchema, v: unknown, path: string, out: Findings): void {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return fail(out, path, `a ${schema.name} object`, v);
  }
  const obj = v as Record<string, unknown>;
  for (const [name, field] of Object.entries(schema.fields)) {
    if (!(name in obj)) {
      if (field.required) out.problems.push(`${path}.${name}: required by ${schema.name}`);
      continue;
    }
    field.check(obj[name], `${path}.${name}`, out);
  }
  for (const name of Object.keys(obj)) {
    if (name in schema.fields) continue;
    if (schema.base === "StrictBase") {
      out.problems.push(`${path}.${name}: ${schema.name} forbids extra fields`);
    } else {
      out.extras.push(`${path}.${name}`);
    }
  }
}

/** Validate `value` against `schema`; paths start at `$`. */
export function validate(schema: ModelSchema, value: unknown): Findings {
  const out: Findings = { problems: [], extras: [] };
  checkModel(schema, value, "$", out);
  return out;
}

function schema(
  name: string,
  path: string,
  base: ModelSchema["base"],
  fields: Record<string, Field>,
): ModelSchema {
  return { name, source: `${REPO} ${path}`, base, fields };
}

// ---------------------------------------------------------------- management responses

/** `src/tinker/types/cursor.py` */
export const Cursor: ModelSchema = schema("Cursor", "src/tinker/types/cursor.py", "BaseModel", {
  offset: req(int),
  limit: req(int),
  total_count: req(int),
});

/**
 * `src/tinker/types/checkpoint.py`, as of 0.28 (commit 7d12c844): `CheckpointType =
 * Literal["training", "sampler", "external"]` (0.25: training and sampler only) and
 * `user_metadata: dict[str, str] | None = None`.
 */
export const Checkpoint: ModelSchema = schema(
  "Checkpoint",
  "src/tinker/types/checkpoint.py",
  "BaseModel",
  {
    checkpoint_id: req(str),
    checkpoint_type: req(literal("training", "sampler", "external")),
    time: req(datetime),
    tinker_path: req(str),
    size_bytes: opt(nullable(int)),
    public: opt(bool),
    user_metadata: opt(nullable(dict(str))),
    expires_at: opt(nullable(datetime)),
  },
);

/** `src/tinker/types/checkpoints_list_response.py` */
export const CheckpointsListResponse: ModelSchema = schema(
  "CheckpointsListResponse",
  "src/tinker/types/checkpoints_list_response.py",
  "BaseModel",
  { checkpoints: req(list(model(Checkpoint))), cursor: opt(nullable(model(Cursor))) },
);

/** `src/tinker/types/training_run.py` */
export const TrainingRun: ModelSchema = schema(
  "TrainingRun",
  "src/tinker/types/training_run.py",
  "BaseModel",
  {
    training_run_id: req(str),
    base_model: req(str),
    model_owner: req(str),
    is_lora: req(bool),
    corrupted: opt(bool),
    lora_rank: opt(nullable(int)),
    last_request_time: req(datetime),
    last_checkpoint: opt(nullable(model(Checkpoint))),
    last_sampler_checkpoint: opt(nullable(model(Checkpoint))),
    user_metadata: opt(nullable(dict(str))),
  },
);

/** `src/tinker/types/training_runs_response.py` (the cursor is required here) */
export const TrainingRunsResponse: ModelSchema = schema(
  "TrainingRunsResponse",
  "src/tinker/types/training_runs_response.py",
  "BaseModel",
  { training_runs: req(list(model(TrainingRun))), cursor: req(model(Cursor)) },
);

/**
 * `src/tinker/types/weights_info_response.py` (newer versions add
 * `optimizer_config: OptimizerConfig = AdamOptimizerConfig()`, a defaulted object)
 */
export const WeightsInfoResponse: ModelSchema = schema(
  "WeightsInfoResponse",
  "src/tinker/types/weights_info_response.py",
  "BaseModel",
  {
    base_model: req(str),
    optimizer_config: opt(any),
    is_lora: req(bool),
    lora_rank: opt(nullable(int)),
    train_unembed: opt(nullable(bool)),
    train_mlp: opt(nullable(bool)),
    train_attn: opt(nullable(bool)),
  },
);

/** `src/tinker/types/checkpoint_archive_url_response.py` (`expires`, not `expires_at`) */
export const CheckpointArchiveUrlResponse: ModelSchema = schema(
  "CheckpointArchiveUrlResponse",
  "src/tinker/types/checkpoint_archive_url_response.py",
  "BaseModel",
  { url: req(str), expires: req(datetime) },
);

/** `src/tinker/types/list_sessions_response.py` (no cursor) */
export const ListSessionsResponse: ModelSchema = schema(
  "ListSessionsResponse",
  "src/tinker/types/list_sessions_response.py",
  "BaseModel",
  { sessions: req(list(str)) },
);

/** `src/tinker/types/get_session_response.py` (newer versions add optional `user_metadata`) */
export const GetSessionResponse: ModelSchema = schema(
  "GetSessionResponse",
  "src/tinker/types/get_session_response.py",
  "BaseModel",
  {
    training_run_ids: req(list(str)),
    sampler_ids: req(list(str)),
    user_metadata: opt(nullable(dict(str))),
  },
);

// ---------------------------------------------------------------- service responses

/** `src/tinker/types/health_response.py` */
export const HealthResponse: ModelSchema = schema(
  "HealthResponse",
  "src/tinker/types/health_response.py",
  "BaseModel",
  { status: req(literal("ok")) },
);

/** `src/tinker/types/telemetry_response.py` */
export const TelemetryResponse: ModelSchema = schema(
  "TelemetryResponse",
  "src/tinker/types/telemetry_response.py",
  "BaseModel",
  { status: req(literal("accepted")) },
);

/** `src/tinker/types/client_config_response.py`: every flag has a default, so `{}` is valid. */
export const ClientConfigResponse: ModelSchema = schema(
  "ClientConfigResponse",
  "src/tinker/types/client_config_response.py",
  "BaseModel",
  {
    pjwt_auth_enabled: opt(bool),
    credential_default_source: opt(str),
    sample_dispatch_bytes_semaphore_size: opt(int),
    inflight_response_bytes_semaphore_size: opt(int),
    parallel_fwdbwd_chunks: opt(bool),
    proto_compress_fwdbwd: opt(bool),
    fwdbwd_max_chunk_len: opt(int),
    fwdbwd_max_chunk_bytes_count: opt(int),
    fwdbwd_dispatch_bytes_semaphore_size: opt(int),
    billing_exception_max_pause_duration_sec: opt(int),
    sample_no_retries: opt(bool),
    sample_enable_stuck_detection: opt(bool),
    sample_max_concurrent_requests: opt(int),
    use_pyqwest_transport: opt(bool),
    create_model_via_load_weights: opt(bool),
    sample_use_retrieve_futures: opt(bool),
  },
);

/** `src/tinker/types/client_dynamic_config_response.py` (newer SDKs; defaults throughout) */
export const ClientDynamicConfigResponse: ModelSchema = schema(
  "ClientDynamicConfigResponse",
  "src/tinker/types/client_dynamic_config_response.py",
  "BaseModel",
  {
    refresh_interval_sec: opt(int),
    sample_cancel_enabled: opt(bool),
    sample_cancel_max_batch_size: opt(int),
  },
);

/** `src/tinker/types/create_session_response.py` */
export const CreateSessionResponse: ModelSchema = schema(
  "CreateSessionResponse",
  "src/tinker/types/create_session_response.py",
  "BaseModel",
  {
    type: opt(literal("create_session")),
    info_message: opt(nullable(str)),
    warning_message: opt(nullable(str)),
    error_message: opt(nullable(str)),
    session_id: req(str),
  },
);

/** `src/tinker/types/session_heartbeat_response.py` */
export const SessionHeartbeatResponse: ModelSchema = schema(
  "SessionHeartbeatResponse",
  "src/tinker/types/session_heartbeat_response.py",
  "BaseModel",
  { type: opt(literal("session_heartbeat")) },
);

// ---------------------------------------------------------------- futures

/** `src/tinker/types/shared/untyped_api_future.py`: what every future-returning POST answers. */
export const UntypedAPIFuture: ModelSchema = schema(
  "UntypedAPIFuture",
  "src/tinker/types/shared/untyped_api_future.py",
  "BaseModel",
  { request_id: req(str), model_id: opt(nullable(str)) },
);

/** `src/tinker/types/try_again_response.py` (newer versions add `queue_state_reason`) */
export const TryAgainResponse: ModelSchema = schema(
  "TryAgainResponse",
  "src/tinker/types/try_again_response.py",
  "BaseModel",
  {
    type: opt(literal("try_again")),
    request_id: req(str),
    queue_state: req(literal("active", "paused_capacity", "paused_rate_limit")),
    queue_state_reason: opt(nullable(str)),
  },
);

/**
 * `src/tinker/types/request_failed_response.py` with `request_error_category.py`
 * (`StrEnum` with `auto()`: the values are the lower-cased names).
 */
export const RequestFailedResponse: ModelSchema = schema(
  "RequestFailedResponse",
  "src/tinker/types/request_failed_response.py",
  "BaseModel",
  { error: req(str), category: req(literal("unknown", "server", "user")) },
);

/**
 * No model: `src/tinker/lib/api_future_impl.py` reads `status == "complete_metadata"` and the
 * integer `response_payload_size` from the poll's JSON, then polls again with
 * `allow_metadata_only: false`.
 */
export const CompleteMetadata: ModelSchema = schema(
  "complete_metadata poll answer",
  "src/tinker/lib/api_future_impl.py",
  "BaseModel",
  { status: req(literal("complete_metadata")), response_payload_size: req(int) },
);

/** `src/tinker/types/create_model_response.py` */
export const CreateModelResponse: ModelSchema = schema(
  "CreateModelResponse",
  "src/tinker/types/create_model_response.py",
  "BaseModel",
  { model_id: req(str), type: opt(literal("create_model")) },
);

/** `src/tinker/types/save_weights_response.py` */
export const SaveWeightsResponse: ModelSchema = schema(
  "SaveWeightsResponse",
  "src/tinker/types/save_weights_response.py",
  "BaseModel",
  { path: req(str), type: opt(nullable(literal("save_weights"))) },
);

/** `src/tinker/types/save_weights_for_sampler_response.py` (`SaveWeightsForSamplerResponse`) */
export const SaveWeightsForSamplerResponse: ModelSchema = schema(
  "SaveWeightsForSamplerResponse",
  "src/tinker/types/save_weights_for_sampler_response.py",
  "BaseModel",
  { path: req(str), type: opt(nullable(literal("save_weights_for_sampler"))) },
);

/**
 * `src/tinker/types/save_weights_for_sampler_response.py`
 * (`SaveWeightsForSamplerResponseInternal`, what the sampling-client path parses)
 */
export const SaveWeightsForSamplerResponseInternal: ModelSchema = schema(
  "SaveWeightsForSamplerResponseInternal",
  "src/tinker/types/save_weights_for_sampler_response.py",
  "BaseModel",
  {
    path: opt(nullable(str)),
    sampling_session_id: opt(nullable(str)),
    type: opt(nullable(literal("save_weights_for_sampler"))),
  },
);

/** `src/tinker/types/load_weights_response.py` */
export const LoadWeightsResponse: ModelSchema = schema(
  "LoadWeightsResponse",
  "src/tinker/types/load_weights_response.py",
  "BaseModel",
  { path: opt(nullable(str)), type: opt(nullable(literal("load_weights"))) },
);

/** `src/tinker/types/unload_model_response.py` */
export const UnloadModelResponse: ModelSchema = schema(
  "UnloadModelResponse",
  "src/tinker/types/unload_model_response.py",
  "BaseModel",
  { model_id: req(str), type: opt(nullable(literal("unload_model"))) },
);

/** `src/tinker/types/optim_step_response.py` */
export const OptimStepResponse: ModelSchema = schema(
  "OptimStepResponse",
  "src/tinker/types/optim_step_response.py",
  "BaseModel",
  { metrics: opt(nullable(dict(float))) },
);

// ---------------------------------------------------------------- requests (StrictBase)

/** `src/tinker/types/client_config_request.py` */
export const ClientConfigRequest: ModelSchema = schema(
  "ClientConfigRequest",
  "src/tinker/types/client_config_request.py",
  "StrictBase",
  { sdk_version: req(str) },
);

/** `src/tinker/types/create_session_request.py` (sent with `exclude_none=True`) */
export const CreateSessionRequest: ModelSchema = schema(
  "CreateSessionRequest",
  "src/tinker/types/create_session_request.py",
  "StrictBase",
  {
    tags: req(list(str)),
    user_metadata: opt(nullable(dict(any))),
    sdk_version: req(str),
    type: opt(literal("create_session")),
  },
);

/** `src/tinker/types/session_heartbeat_request.py` */
export const SessionHeartbeatRequest: ModelSchema = schema(
  "SessionHeartbeatRequest",
  "src/tinker/types/session_heartbeat_request.py",
  "StrictBase",
  { session_id: req(str), type: opt(literal("session_heartbeat")) },
);

/** `src/tinker/types/lora_config.py` */
export const LoraConfig: ModelSchema = schema(
  "LoraConfig",
  "src/tinker/types/lora_config.py",
  "StrictBase",
  {
    rank: req(int),
    seed: opt(nullable(int)),
    train_unembed: opt(bool),
    train_mlp: opt(bool),
    train_attn: opt(bool),
  },
);

/** `src/tinker/types/create_model_request.py` (sent with `exclude_unset=True`) */
export const CreateModelRequest: ModelSchema = schema(
  "CreateModelRequest",
  "src/tinker/types/create_model_request.py",
  "StrictBase",
  {
    session_id: req(str),
    model_seq_id: req(int),
    base_model: req(str),
    user_metadata: opt(nullable(dict(any))),
    lora_config: opt(nullable(model(LoraConfig))),
    type: opt(literal("create_model")),
  },
);

/** `src/tinker/types/save_weights_request.py` */
export const SaveWeightsRequest: ModelSchema = schema(
  "SaveWeightsRequest",
  "src/tinker/types/save_weights_request.py",
  "StrictBase",
  {
    model_id: req(str),
    path: opt(nullable(str)),
    seq_id: opt(nullable(int)),
    ttl_seconds: opt(nullable(int)),
    overwrite: opt(bool),
    type: opt(literal("save_weights")),
  },
);

/** `src/tinker/types/save_weights_for_sampler_request.py` (the newer field set) */
export const SaveWeightsForSamplerRequest: ModelSchema = schema(
  "SaveWeightsForSamplerRequest",
  "src/tinker/types/save_weights_for_sampler_request.py",
  "StrictBase",
  {
    model_id: req(str),
    path: opt(nullable(str)),
    sampling_session_seq_id: opt(nullable(int)),
    seq_id: opt(nullable(int)),
    ttl_seconds: opt(nullable(int)),
    user_metadata: opt(nullable(dict(str))),
    type: opt(literal("save_weights_for_sampler")),
  },
);

/**
 * `src/tinker/types/load_weights_request.py` (`optimizer: bool` is required in the versions that
 * have it; older ones lack the field, and the server then loads weights only)
 */
export const LoadWeightsRequest: ModelSchema = schema(
  "LoadWeightsRequest",
  "src/tinker/types/load_weights_request.py",
  "StrictBase",
  {
    model_id: req(str),
    path: req(str),
    seq_id: opt(nullable(int)),
    optimizer: req(bool),
    type: opt(literal("load_weights")),
  },
);

/** `src/tinker/types/unload_model_request.py` */
export const UnloadModelRequest: ModelSchema = schema(
  "UnloadModelRequest",
  "src/tinker/types/unload_model_request.py",
  "StrictBase",
  { model_id: req(str), type: opt(nullable(literal("unload_model"))) },
);

/** `src/tinker/types/optim_step_request.py` (`AdamParams`, all fields defaulted) */
export const AdamParams: ModelSchema = schema(
  "AdamParams",
  "src/tinker/types/optim_step_request.py",
  "StrictBase",
  {
    learning_rate: opt(float),
    beta1: opt(float),
    beta2: opt(float),
    eps: opt(float),
    weight_decay: opt(float),
    grad_clip_norm: opt(float),
  },
);

/** `src/tinker/types/optim_step_request.py` */
export const OptimStepRequest: ModelSchema = schema(
  "OptimStepRequest",
  "src/tinker/types/optim_step_request.py",
  "StrictBase",
  {
    adam_params: req(model(AdamParams)),
    model_id: req(str),
    seq_id: opt(nullable(int)),
    type: opt(literal("optim_step")),
  },
);

/** `src/tinker/types/future_retrieve_request.py` (`allow_metadata_only` in newer versions) */
export const FutureRetrieveRequest: ModelSchema = schema(
  "FutureRetrieveRequest",
  "src/tinker/types/future_retrieve_request.py",
  "StrictBase",
  { request_id: req(str), allow_metadata_only: opt(bool) },
);

/** The body `RestClient.get_weights_info_by_tinker_path` posts (a plain dict, no model). */
export const WeightsInfoRequest: ModelSchema = schema(
  "weights_info body",
  "src/tinker/lib/public_interfaces/rest_client.py",
  "StrictBase",
  { tinker_path: req(str) },
);

/** The body `RestClient` PUTs to `…/ttl` (a plain dict: `{"ttl_seconds": int | None}`). */
export const SetTtlRequest: ModelSchema = schema(
  "set ttl body",
  "src/tinker/lib/public_interfaces/rest_client.py",
  "StrictBase",
  { ttl_seconds: req(nullable(int)) },
);

// ---------------------------------------------------------------- transport facts

/** The SDK version the tests claim to be. */
export const SDK_VERSION = "0.25.0";

/**
 * Headers of every SDK request (`src/tinker/_base_client.py` `default_headers`,
 * `platform_headers`, `_build_headers`; `src/tinker/_client.py` `auth_headers` and
 * `X-Stainless-Async`). `Content-Type` is dropped on GET; non-GET requests carry an
 * `X-Idempotency-Key` (`stainless-python-retry-<uuid4>`) that stays the same across retries.
 */
export function sdkHeaders(method: string, apiKey: string): Record<string, string> {
  const headers: Record<string, string> = {
    "Accept": "application/json",
    "User-Agent": `AsyncTinker/Python ${SDK_VERSION}`,
    "X-Stainless-Package-Version": SDK_VERSION,
    "X-Stainless-OS": "Linux",
    "X-Stainless-Arch": "x64",
    "X-Stainless-Runtime": "CPython",
    "X-Stainless-Runtime-Version": "3.12.3",
    "X-Stainless-Async": "async:asyncio",
    "X-Stainless-Retry-Count": "0",
    "X-Stainless-Read-Timeout": "60.0",
    "X-API-Key": apiKey,
  };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-Idempotency-Key"] = `stainless-python-retry-${crypto.randomUUID()}`;
  }
  return headers;
}

/**
 * Status codes the SDK's HTTP layer retries on its own (`_should_retry` in
 * `src/tinker/_base_client.py`), unless the server sends `x-should-retry: true|false`.
 */
export function sdkRetries(status: number, xShouldRetry: string | null): boolean {
  if (xShouldRetry === "true") return true;
  if (xShouldRetry === "false") return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const EXPIRES =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * The `Expires` header of the archive redirect as `resources/weights.py`
 * `get_checkpoint_archive_url` reads it: `strptime(h, "%a, %d %b %Y %H:%M:%S GMT")`; when that
 * fails the SDK silently assumes now + 15 minutes. Returns null where the SDK would fall back.
 */
export function sdkParseExpires(header: string): Date | null {
  const m = EXPIRES.exec(header);
  if (!m) return null;
  const month = MONTHS.indexOf(m[3]);
  if (month < 0) return null;
  return new Date(Date.UTC(+m[4], month, +m[2], +m[5], +m[6], +m[7]));
}

// ------------------------------------------- credentials, JWT and the account's view (issue 17)

/** `src/tinker/types/auth_token_response.py` */
export const AuthTokenResponse: ModelSchema = schema(
  "AuthTokenResponse",
  "src/tinker/types/auth_token_response.py",
  "BaseModel",
  { jwt: req(str) },
);

const ApiKeyDetails: ModelSchema = schema(
  "ApiKeyDetails",
  "src/tinker/lib/credentials.py",
  "BaseModel",
  {
    org_details: req(
      model(schema("ApiKeyOrgDetails", "src/tinker/lib/credentials.py", "BaseModel", {
        name: req(str),
      })),
    ),
    user_details: req(
      model(schema("ApiKeyUserDetails", "src/tinker/lib/credentials.py", "BaseModel", {
        email: req(str),
      })),
    ),
  },
);

/** `src/tinker/cli/auth_api.py` (`GET /api/v1/auth/apikey/me`) */
export const SelfApiKeyResponse: ModelSchema = schema(
  "SelfApiKeyResponse",
  "src/tinker/cli/auth_api.py",
  "BaseModel",
  { key_id: req(int), name: req(str), note: req(str), details: req(model(ApiKeyDetails)) },
);

/** `src/tinker/types/current_checkpoint_storage_usage_response.py` */
export const CurrentCheckpointStorageUsageResponse: ModelSchema = schema(
  "CurrentCheckpointStorageUsageResponse",
  "src/tinker/types/current_checkpoint_storage_usage_response.py",
  "BaseModel",
  {
    effective_rate_usd_per_gigabyte_month: opt(nullable(float)),
    data: req(list(model(schema(
      "CurrentCheckpointStorageUsageItem",
      "src/tinker/types/current_checkpoint_storage_usage_response.py",
      "BaseModel",
      {
        project_id: opt(nullable(str)),
        org_user_urn: opt(nullable(str)),
        user_email: opt(nullable(str)),
        user_name: opt(nullable(str)),
        checkpoint_count: req(int),
        size_bytes: req(int),
        size_gigabytes: req(float),
        estimated_monthly_cost_usd: opt(nullable(float)),
      },
    )))),
  },
);

const BILLING = "src/tinker/types/billing_usage_response.py";
const BILLING_EVENT_INFO: Record<string, ModelSchema> = {
  training: schema("TrainingBillingEvent", BILLING, "BaseModel", {
    type: opt(literal("training")),
    token_count: req(int),
  }),
  sampling_prefill: schema("SamplingPrefillBillingEvent", BILLING, "BaseModel", {
    type: opt(literal("sampling_prefill")),
    cached: req(bool),
    token_count: req(int),
  }),
  sampling_sample: schema("SamplingSampleBillingEvent", BILLING, "BaseModel", {
    type: opt(literal("sampling_sample")),
    token_count: req(int),
  }),
  checkpoint: schema("CheckpointBillingEvent", BILLING, "BaseModel", {
    type: opt(literal("checkpoint")),
    count: req(int),
  }),
  storage: schema("StorageBillingEvent", BILLING, "BaseModel", {
    type: opt(literal("storage")),
    gigabyte_hours: req(float),
  }),
};

/** `BillingEventInfo`: a union discriminated on `type` (which must therefore be present). */
function billingEventInfo(v: unknown, path: string, out: Findings): void {
  const type = (v as { type?: unknown } | null)?.type;
  const variant = typeof type === "string" ? BILLING_EVENT_INFO[type] : undefined;
  if (!variant) return fail(out, `${path}.type`, "a known billing event type", type);
  model(variant)(v, path, out);
}

/** `src/tinker/types/billing_usage_response.py` (0.31: with the cost fields) */
export const BillingUsageResponse: ModelSchema = schema(
  "BillingUsageResponse",
  BILLING,
  "BaseModel",
  {
    data: req(list(model(schema("BillingUsageEvent", BILLING, "BaseModel", {
      bucket_start: req(datetime),
      bucket_end: req(datetime),
      base_model: opt(nullable(str)),
      user_id: opt(nullable(str)),
      user_name: opt(nullable(str)),
      session_id: opt(nullable(str)),
      project_id: opt(nullable(str)),
      estimated_cost_usd: opt(nullable(float)),
      effective_rate_usd_per_million_tokens: opt(nullable(float)),
      effective_rate_usd_per_gigabyte_month: opt(nullable(float)),
      event_info: req(billingEventInfo),
    })))),
    sessions: opt(dict(model(schema("BillingUsageSession", BILLING, "BaseModel", {
      user_metadata: opt(nullable(dict(str))),
    })))),
    cost_data_through: opt(nullable(datetime)),
  },
);

/** `src/tinker/types/billing_usage_request.py`: the query the SDK sends (extras forbidden). */
export const GetBillingUsageRequest: ModelSchema = schema(
  "GetBillingUsageRequest",
  "src/tinker/types/billing_usage_request.py",
  "StrictBase",
  { starting_on: req(datetime), ending_before: req(datetime) },
);

/** `src/tinker/types/audit_log_response.py` and `audit_log_entry.py` */
export const AuditLogResponse: ModelSchema = schema(
  "AuditLogResponse",
  "src/tinker/types/audit_log_response.py",
  "BaseModel",
  {
    entries: req(
      list(model(schema("AuditLogEntry", "src/tinker/types/audit_log_entry.py", "BaseModel", {
        timestamp: req(datetime),
        event: req(str),
        model_id: opt(nullable(str)),
        tinker_path: opt(nullable(str)),
        purpose: opt(nullable(str)),
      }))),
    ),
  },
);

/** `_SessionTraceExportPollResponse` in `src/tinker/lib/public_interfaces/rest_client.py` */
export const SessionTraceExportPollResponse: ModelSchema = schema(
  "_SessionTraceExportPollResponse",
  "src/tinker/lib/public_interfaces/rest_client.py",
  "BaseModel",
  {
    status: req(literal("pending", "ready", "failed")),
    url: opt(nullable(str)),
    error: opt(nullable(str)),
  },
);

// ------------------------------------------------ newer SDKs (0.28–0.33): the service today
// Read through the search index of thinking-machines-lab/tinker at the commits named (0.28 =
// 7d12c844, 0.29.1 = 6ec8a72e, 0.31 = 03c1fa7c, 0.33 = 1dd48238); facts only, no code.

/**
 * `src/tinker/types/save_weights_request.py` as newer SDKs send it from `save_state`
 * (`lib/public_interfaces/training_client.py` @6ec8a72e): adds `user_metadata`.
 */
export const SaveWeightsRequestNewer: ModelSchema = schema(
  "SaveWeightsRequest",
  "src/tinker/types/save_weights_request.py (0.29+)",
  "StrictBase",
  {
    model_id: req(str),
    path: opt(nullable(str)),
    seq_id: opt(nullable(int)),
    ttl_seconds: opt(nullable(int)),
    overwrite: opt(bool),
    user_metadata: opt(nullable(dict(str))),
    type: opt(literal("save_weights")),
  },
);

/** `src/tinker/types/save_weights_external_request.py` @1dd48238 (0.33) */
export const SaveWeightsExternalRequest: ModelSchema = schema(
  "SaveWeightsExternalRequest",
  "src/tinker/types/save_weights_external_request.py",
  "StrictBase",
  {
    model_id: req(str),
    path: req(str),
    seq_id: opt(nullable(int)),
    ttl_seconds: opt(nullable(int)),
    age_encryption_recipients: opt(nullable(list(str))),
    type: opt(literal("save_weights_external")),
  },
);

/**
 * `src/tinker/types/_pydantic_types/save_weights_external_response.py` @7d12c844
 * (`SaveWeightsExternalResponseInternal`: what the future's result is parsed into; the SDK then
 * asserts `path`).
 */
export const SaveWeightsExternalResponseInternal: ModelSchema = schema(
  "SaveWeightsExternalResponseInternal",
  "src/tinker/types/_pydantic_types/save_weights_external_response.py",
  "BaseModel",
  {
    path: opt(nullable(str)),
    size_bytes: opt(nullable(int)),
    type: opt(nullable(literal("save_weights_external"))),
  },
);

/** `src/tinker/types/external_weights_urls_response.py` @7d12c844 */
export const ExternalWeightsUrlsResponse: ModelSchema = schema(
  "ExternalWeightsUrlsResponse",
  "src/tinker/types/external_weights_urls_response.py",
  "BaseModel",
  { urls: req(dict(str)), expires: req(datetime) },
);

/** `src/tinker/types/copy_weights_request.py` @6889e5e7 (no `type` field) */
export const CopyWeightsRequest: ModelSchema = schema(
  "CopyWeightsRequest",
  "src/tinker/types/copy_weights_request.py",
  "StrictBase",
  {
    session_id: req(str),
    model_seq_id: req(int),
    source_path: req(str),
    ttl_seconds: opt(nullable(int)),
    weights_access_token: opt(nullable(str)),
  },
);

/** `src/tinker/types/copy_weights_response.py` @0beab58b */
export const CopyWeightsResponse: ModelSchema = schema(
  "CopyWeightsResponse",
  "src/tinker/types/copy_weights_response.py",
  "BaseModel",
  { tinker_path: req(str) },
);

/** `src/tinker/types/create_sampling_session_request.py` @604e00c7 */
export const CreateSamplingSessionRequest: ModelSchema = schema(
  "CreateSamplingSessionRequest",
  "src/tinker/types/create_sampling_session_request.py",
  "StrictBase",
  {
    session_id: req(str),
    sampling_session_seq_id: req(int),
    base_model: opt(nullable(str)),
    model_path: opt(nullable(str)),
    type: opt(literal("create_sampling_session")),
  },
);

/** `src/tinker/types/create_sampling_session_response.py` @604e00c7 */
export const CreateSamplingSessionResponse: ModelSchema = schema(
  "CreateSamplingSessionResponse",
  "src/tinker/types/create_sampling_session_response.py",
  "BaseModel",
  { sampling_session_id: req(str), type: opt(literal("create_sampling_session")) },
);

/** `src/tinker/types/_pydantic_types/get_sampler_response.py` @0c93c69d */
export const GetSamplerResponse: ModelSchema = schema(
  "GetSamplerResponse",
  "src/tinker/types/_pydantic_types/get_sampler_response.py",
  "BaseModel",
  { sampler_id: req(str), base_model: req(str), model_path: opt(nullable(str)) },
);

/** `src/tinker/types/get_server_capabilities_response.py` @e9a95e23 (`SupportedModel`) */
export const SupportedModel: ModelSchema = schema(
  "SupportedModel",
  "src/tinker/types/get_server_capabilities_response.py",
  "BaseModel",
  { model_name: opt(nullable(str)), max_context_length: opt(nullable(int)) },
);

/** `src/tinker/types/get_server_capabilities_response.py` @e9a95e23 */
export const GetServerCapabilitiesResponse: ModelSchema = schema(
  "GetServerCapabilitiesResponse",
  "src/tinker/types/get_server_capabilities_response.py",
  "BaseModel",
  { supported_models: req(list(model(SupportedModel))) },
);

/** `src/tinker/types/get_info_request.py` @422bc7b9 (the SDK leaves `type` unset) */
export const GetInfoRequest: ModelSchema = schema(
  "GetInfoRequest",
  "src/tinker/types/get_info_request.py",
  "StrictBase",
  { model_id: req(str), type: opt(nullable(literal("get_info"))) },
);

/** `src/tinker/types/_pydantic_types/get_info_response.py` @0c93c69d (`ModelData`) */
export const ModelData: ModelSchema = schema(
  "ModelData",
  "src/tinker/types/_pydantic_types/get_info_response.py",
  "BaseModel",
  { arch: opt(nullable(str)), model_name: opt(nullable(str)), tokenizer_id: opt(nullable(str)) },
);

/** `src/tinker/types/_pydantic_types/get_info_response.py` @0c93c69d */
export const GetInfoResponse: ModelSchema = schema(
  "GetInfoResponse",
  "src/tinker/types/_pydantic_types/get_info_response.py",
  "BaseModel",
  {
    type: opt(nullable(literal("get_info"))),
    model_data: req(model(ModelData)),
    model_id: req(str),
    is_lora: opt(nullable(bool)),
    lora_rank: opt(nullable(int)),
    model_name: opt(nullable(str)),
  },
);

/**
 * The body `ServiceClient.close()` posts to `sessions/{id}/finish` (a plain dict, not a model:
 * `lib/public_interfaces/service_client.py` @6ec8a72e); the answer is cast to `None`.
 */
export const FinishSessionBody: ModelSchema = schema(
  "FinishSessionBody",
  "src/tinker/lib/public_interfaces/service_client.py (close)",
  "StrictBase",
  {
    reason: req(model(schema("FinishReason", "service_client.py", "StrictBase", {
      type: req(literal("success", "errored", "interrupted")),
    }))),
    detail: req(nullable(str)),
  },
);

/** The newest SDK version whose types are transcribed above. */
export const NEWER_SDK_VERSION = "0.33.0";
