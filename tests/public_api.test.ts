/**
 * The public surface, pinned: the exported names of each entry point, read with `deno doc --json`.
 * A change to any list is a change to the package's semver promise, so it must be made here,
 * on purpose, where review sees it.
 */
import assert from "node:assert/strict";

const PINNED: Record<string, readonly string[]> = {
  "mod.ts": [
    "AbortError",
    "AccessScope",
    "ApiErrorDetails",
    "ApiStatusError",
    "ArchiveEntriesOptions",
    "ArchiveEntry",
    "ArchiveEntryType",
    "ArchiveLimits",
    "ArchiveStreamOptions",
    "ArchiveUrlOptions",
    "AuthenticationError",
    "BadRequestError",
    "CheckedEntry",
    "Checkpoint",
    "CheckpointArchiveUrlResponse",
    "CheckpointExpectations",
    "CheckpointKind",
    "CheckpointMismatchError",
    "CheckpointType",
    "CheckpointsListResponse",
    "CleanPartialsOptions",
    "ConfigError",
    "ConfigFromEnvOptions",
    "ConflictError",
    "ConnectionError",
    "ConnectionFailureKind",
    "CreateTrainingClientOptions",
    "Cursor",
    "DestinationExistsError",
    "DownloadManifest",
    "DownloadOptions",
    "DownloadPhase",
    "DownloadProgress",
    "DownloadResult",
    "DownloadedFile",
    "EnvSource",
    "ErrorCategory",
    "FileSystemError",
    "FileSystemOperation",
    "FromStateOptions",
    "FutureExpiredError",
    "FutureFailedError",
    "FutureOptions",
    "IntegrityError",
    "InternalServerError",
    "InvalidTinkerPathError",
    "IterateCheckpointsOptions",
    "IterateOptions",
    "IterateTrainingRunsOptions",
    "ListCheckpointsOptions",
    "ListSessionsOptions",
    "ListTrainingRunsOptions",
    "LoadResult",
    "NotFoundError",
    "PartialDownload",
    "PermissionDeniedError",
    "ProgressCallback",
    "PruneOptions",
    "PruneSelection",
    "QueueStateInfo",
    "RateLimitError",
    "RequestOptions",
    "ResolvedConfig",
    "ResumeInfo",
    "RetryInfo",
    "SaveStateOptions",
    "SessionResponse",
    "SessionsListResponse",
    "TimeoutError",
    "TinkerConfig",
    "TinkerError",
    "TinkerPath",
    "TrainingClient",
    "TrainingRun",
    "TrainingRunsResponse",
    "TrainingStepError",
    "USER_AGENT",
    "UnprocessableEntityError",
    "UnsafeArchiveError",
    "UnsafeUrlError",
    "VERSION",
    "VerifyResult",
    "WeightsInfoResponse",
    "archiveEntries",
    "checkpointTypeOf",
    "cleanPartialDownloads",
    "configFromEnv",
    "createTrainingClient",
    "createTrainingClientFromState",
    "deleteCheckpoint",
    "download",
    "downloadDirName",
    "formatTinkerPath",
    "getArchiveUrl",
    "getCheckpoint",
    "getSession",
    "getTrainingRun",
    "getTrainingRunByTinkerPath",
    "getWeightsInfo",
    "hasMore",
    "iterateCheckpoints",
    "iterateSessions",
    "iterateTrainingRuns",
    "listCheckpoints",
    "listSessions",
    "listTrainingRuns",
    "listUserCheckpoints",
    "loadState",
    "loadStateWithOptimizer",
    "openArchiveStream",
    "parseTinkerPath",
    "publishCheckpoint",
    "releaseTrainingClient",
    "resolveConfig",
    "retrieveFuture",
    "saveState",
    "saveWeightsForSampler",
    "selectPrunable",
    "setCheckpointTtl",
    "unpublishCheckpoint",
    "validateCheckpoint",
    "verifyDownload",
    // Credentials, JWT auth and the account's view (issue 17).
    "AuthMode",
    "CredentialSource",
    "ResolveCredentialOptions",
    "ResolvedCredential",
    "StoredKeyInfo",
    "resolveCredential",
    "ApiKeyInfo",
    "WhoamiResponse",
    "getApiKeyInfo",
    "whoami",
    "InvalidBillingWindowError",
    "JwtUnavailableError",
    "TraceExportFailedError",
    "checkBillingWindow",
    "getBillingUsage",
    "getCheckpointStorageUsage",
    "BillingEventInfo",
    "BillingUsageEvent",
    "BillingUsageResponse",
    "CheckpointStorageUsage",
    "CheckpointStorageUsageItem",
    "StorageUsageOptions",
    "getAuditLog",
    "AuditEventType",
    "AuditLogEntry",
    "AuditLogOptions",
    "AuditLogResponse",
    "assignSessionProject",
    "exportSessionTrace",
    "TraceExportOptions",
    // Following the service as it is today (issue 14).
    "MAX_TTL_SECONDS",
    "MIN_TTL_SECONDS",
    "ExternalWeightsUrlsResponse",
    "SaveExternalOptions",
    "SaveExternalResult",
    "getExternalWeightsUrls",
    "saveWeightsExternal",
    "GetInfoResponse",
    "GetSamplerResponse",
    "GetServerCapabilitiesResponse",
    "SupportedModel",
    "CreateSessionOptions",
    "Session",
    "SessionFinishReason",
    "CopyWeightsOptions",
    "SamplerSource",
    "SamplingSessionOptions",
    "TINKER_SDK_VERSION",
    "copyWeights",
    "createSamplingSession",
    "createSession",
    "finishSession",
    "getInfo",
    "getSampler",
    "getServerCapabilities",
    // The server's credential_default_source, as the SDK follows it.
    "ClientConfigResponse",
    "CredentialDefaultSource",
    "getClientConfig",
  ],
  "server.ts": [
    "DEFAULT_API_KEY",
    "RunningServer",
    "SeedCheckpointsOptions",
    "SeedCheckpointsResult",
    "SeedOptions",
    "ServeOptions",
    "ServerOptions",
    "StartupReport",
    "TinkerHandler",
    "createHandler",
    "seedCheckpoints",
    "serve",
  ],
  "cli.ts": [
    "CliIo",
    "main",
  ],
};

async function exportedNames(entry: string): Promise<string[]> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", new URL(`../${entry}`, import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(success, `deno doc ${entry}`);
  const doc = JSON.parse(new TextDecoder().decode(stdout)) as {
    nodes: Record<string, { symbols: { name: string }[] }>;
  };
  const [node] = Object.values(doc.nodes);
  return node.symbols.map((s) => s.name).sort();
}

for (const [entry, pinned] of Object.entries(PINNED)) {
  Deno.test(`public API of ${entry} is exactly the pinned list`, async () => {
    const actual = await exportedNames(entry);
    const added = actual.filter((n) => !pinned.includes(n));
    const removed = pinned.filter((n) => !actual.includes(n));
    assert.deepEqual(
      { added, removed },
      { added: [], removed: [] },
      `the public API of ${entry} changed: update PINNED in tests/public_api.test.ts on purpose`,
    );
  });
}

// Every function, class and constant a user can import shows how in an `@example` (types are
// described by the functions that take or return them).
for (const entry of Object.keys(PINNED)) {
  Deno.test(`every value exported by ${entry} has an @example`, async () => {
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--json", new URL(`../${entry}`, import.meta.url).pathname],
      stdout: "piped",
      stderr: "null",
    }).output();
    const doc = JSON.parse(new TextDecoder().decode(stdout)) as {
      nodes: Record<string, { symbols: { name: string; declarations: Declaration[] }[] }>;
    };
    const [node] = Object.values(doc.nodes);
    const missing = node.symbols.filter((s) =>
      s.declarations.some((d) => VALUE_KINDS.includes(d.kind)) &&
      !s.declarations.some((d) => d.jsDoc?.tags?.some((t) => t.kind === "example"))
    ).map((s) => s.name);
    assert.deepEqual(missing, []);
  });
}

interface Declaration {
  kind: string;
  jsDoc?: { tags?: { kind: string }[] };
}
const VALUE_KINDS = ["function", "class", "variable"];
