/**
 * tinkex: manage Tinker fine-tuning checkpoints, training runs and sessions from TypeScript.
 *
 * Every call takes a plain config first. Web-standard code only (fetch, Web Streams): this
 * entry point loads in Deno, Bun, Node, browsers and edge functions.
 *
 * @example
 * ```ts
 * import { configFromEnv, iterateCheckpoints } from "@tinkex/tinkex";
 * const config = configFromEnv(); // TINKER_API_KEY, TINKER_BASE_URL
 * for await (const c of iterateCheckpoints(config)) console.log(c.tinker_path, c.size_bytes);
 * ```
 * @module
 */

// The public API, named symbol by symbol: every name here is a semver promise, and
// tests/public_api.test.ts pins the list. Internals stay in src/.

// Wire types (protocol §6) and tinker paths.
export type {
  AccessScope,
  Checkpoint,
  CheckpointArchiveUrlResponse,
  CheckpointsListResponse,
  CheckpointType,
  Cursor,
  SessionResponse,
  SessionsListResponse,
  TrainingRun,
  TrainingRunsResponse,
  WeightsInfoResponse,
} from "./src/protocol/types.ts";
export type {
  ExternalWeightsUrlsResponse,
  GetInfoResponse,
  GetSamplerResponse,
  GetServerCapabilitiesResponse,
  SupportedModel,
} from "./src/protocol/types.ts";
export {
  checkpointTypeOf,
  downloadDirName,
  formatTinkerPath,
  parseTinkerPath,
} from "./src/protocol/paths.ts";
export type { CheckpointKind, TinkerPath } from "./src/protocol/paths.ts";
export { TINKER_SDK_VERSION, VERSION } from "./src/protocol/version.ts";
export { MAX_TTL_SECONDS, MIN_TTL_SECONDS } from "./src/protocol/ttl.ts";

// Errors.
export {
  AbortError,
  ApiStatusError,
  AuthenticationError,
  BadRequestError,
  CheckpointMismatchError,
  ConfigError,
  ConflictError,
  ConnectionError,
  DestinationExistsError,
  FileSystemError,
  FutureExpiredError,
  FutureFailedError,
  IntegrityError,
  InternalServerError,
  InvalidTinkerPathError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
  TinkerError,
  TrainingStepError,
  UnprocessableEntityError,
  UnsafeArchiveError,
  UnsafeUrlError,
} from "./src/client/errors.ts";
export type { ApiErrorDetails, ErrorCategory } from "./src/client/errors.ts";
export type { FileSystemOperation } from "./src/client/errors.ts";
export type { ConnectionFailureKind } from "./src/client/errors.ts";

// Configuration and requests.
export { configFromEnv, resolveConfig } from "./src/client/config.ts";
export type {
  ConfigFromEnvOptions,
  EnvSource,
  ResolvedConfig,
  RetryInfo,
  TinkerConfig,
} from "./src/client/config.ts";
export { USER_AGENT } from "./src/client/http/request.ts";
export type { RequestOptions } from "./src/client/http/request.ts";
export { hasMore } from "./src/client/pagination.ts";
export type { IterateOptions } from "./src/client/pagination.ts";

// Checkpoints, training runs, sessions, weights info, archive URLs.
export {
  deleteCheckpoint,
  getCheckpoint,
  iterateCheckpoints,
  listCheckpoints,
  listUserCheckpoints,
  publishCheckpoint,
  setCheckpointTtl,
  unpublishCheckpoint,
} from "./src/client/checkpoints.ts";
export type {
  IterateCheckpointsOptions,
  ListCheckpointsOptions,
} from "./src/client/checkpoints.ts";
export {
  getTrainingRun,
  getTrainingRunByTinkerPath,
  iterateTrainingRuns,
  listTrainingRuns,
} from "./src/client/runs.ts";
export type { IterateTrainingRunsOptions, ListTrainingRunsOptions } from "./src/client/runs.ts";
export { getSession, iterateSessions, listSessions } from "./src/client/sessions.ts";
export type { ListSessionsOptions } from "./src/client/sessions.ts";
export { createSession, finishSession } from "./src/client/sessions.ts";
export type { CreateSessionOptions, Session, SessionFinishReason } from "./src/client/sessions.ts";
export { copyWeights } from "./src/client/copy.ts";
export type { CopyWeightsOptions } from "./src/client/copy.ts";
export { createSamplingSession, getSampler } from "./src/client/samplers.ts";
export type { SamplerSource, SamplingSessionOptions } from "./src/client/samplers.ts";
export { getInfo, getServerCapabilities } from "./src/client/server_info.ts";
export { getWeightsInfo, validateCheckpoint } from "./src/client/weights.ts";
export type { CheckpointExpectations } from "./src/client/weights.ts";
export { getArchiveUrl } from "./src/client/archive_url.ts";
export { getExternalWeightsUrls } from "./src/client/external_weights.ts";
export { selectPrunable } from "./src/client/prune.ts";
export type { PruneOptions, PruneSelection } from "./src/client/prune.ts";
export type { ArchiveUrlOptions } from "./src/client/archive_url.ts";

// Training state.
export {
  createTrainingClient,
  createTrainingClientFromState,
  loadState,
  loadStateWithOptimizer,
  releaseTrainingClient,
  saveState,
  saveWeightsForSampler,
} from "./src/client/training/client.ts";
export type {
  CreateTrainingClientOptions,
  FromStateOptions,
  LoadResult,
  SaveStateOptions,
  TrainingClient,
} from "./src/client/training/client.ts";
export { retrieveFuture } from "./src/client/training/futures.ts";
export { saveWeightsExternal } from "./src/client/training/external.ts";
export type { SaveExternalOptions, SaveExternalResult } from "./src/client/training/external.ts";
export type { FutureOptions, QueueStateInfo } from "./src/client/training/futures.ts";

// Downloads.
export { download } from "./src/client/download/download.ts";
export type {
  DownloadedFile,
  DownloadOptions,
  DownloadResult,
} from "./src/client/download/download.ts";
export { openArchiveStream } from "./src/client/download/archive_stream.ts";
export type { ArchiveStreamOptions, ResumeInfo } from "./src/client/download/archive_stream.ts";
export { archiveEntries } from "./src/client/download/entries.ts";
export type { ArchiveEntriesOptions, ArchiveEntry } from "./src/client/download/entries.ts";
export type {
  ArchiveEntryType,
  ArchiveLimits,
  CheckedEntry,
} from "./src/client/download/entry_guard.ts";
export type {
  DownloadPhase,
  DownloadProgress,
  ProgressCallback,
} from "./src/client/download/progress.ts";
export { verifyDownload } from "./src/client/download/manifest.ts";
export type { DownloadManifest, VerifyResult } from "./src/client/download/manifest.ts";
export { cleanPartialDownloads } from "./src/client/download/journal.ts";
export type { CleanPartialsOptions, PartialDownload } from "./src/client/download/journal.ts";

// Credentials (the official SDK's order), JWT auth and the account's view (issue 17).
export { resolveCredential } from "./src/client/credentials/resolve.ts";
export type {
  CredentialSource,
  ResolveCredentialOptions,
  ResolvedCredential,
} from "./src/client/credentials/resolve.ts";
export type { StoredKeyInfo } from "./src/client/credentials/credentials_file.ts";
export type { AuthMode } from "./src/client/config.ts";
export { getApiKeyInfo, whoami } from "./src/client/auth_info.ts";
export type { ApiKeyInfo, WhoamiResponse } from "./src/client/auth_info.ts";
// The server's credential_default_source (requiring TINKER_CREDENTIAL_CMD), as the SDK follows it.
export { getClientConfig } from "./src/client/server_info.ts";
export type { ClientConfigResponse } from "./src/protocol/types.ts";
export type { CredentialDefaultSource } from "./src/client/credentials/resolve.ts";
export {
  checkBillingWindow,
  getBillingUsage,
  getCheckpointStorageUsage,
} from "./src/client/billing.ts";
export type {
  BillingEventInfo,
  BillingUsageEvent,
  BillingUsageResponse,
  CheckpointStorageUsage,
  CheckpointStorageUsageItem,
  StorageUsageOptions,
} from "./src/client/billing.ts";
export { getAuditLog } from "./src/client/audit.ts";
export type {
  AuditEventType,
  AuditLogEntry,
  AuditLogOptions,
  AuditLogResponse,
} from "./src/client/audit.ts";
export { assignSessionProject, exportSessionTrace } from "./src/client/session_account.ts";
export type { TraceExportOptions } from "./src/client/session_account.ts";
export {
  InvalidBillingWindowError,
  JwtUnavailableError,
  TraceExportFailedError,
} from "./src/client/errors.ts";
