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
    "ConfigError",
    "ConflictError",
    "ConnectionError",
    "CreateTrainingClientOptions",
    "Cursor",
    "DestinationExistsError",
    "DownloadOptions",
    "DownloadPhase",
    "DownloadProgress",
    "DownloadResult",
    "DownloadedFile",
    "ErrorCategory",
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
    "PermissionDeniedError",
    "ProgressCallback",
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
    "VERSION",
    "WeightsInfoResponse",
    "archiveEntries",
    "checkpointTypeOf",
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
    "setCheckpointTtl",
    "unpublishCheckpoint",
    "validateCheckpoint",
  ],
  "server.ts": [
    "DEFAULT_API_KEY",
    "RunningServer",
    "SeedCheckpointsOptions",
    "SeedCheckpointsResult",
    "SeedOptions",
    "ServeOptions",
    "ServerOptions",
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
