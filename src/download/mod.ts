/**
 * Downloading checkpoints: the on-disk `download()` and its web-only building blocks
 * (`openArchiveStream`, `archiveEntries`), which load where there is no file system.
 * @module
 */
export {
  DEFAULT_PROGRESS_INTERVAL_MS,
  type DownloadPhase,
  type DownloadProgress,
  type ProgressCallback,
} from "./progress.ts";
export * from "./archive_stream.ts";
export * from "./entries.ts";
export * from "./download.ts";
export {
  type ArchiveEntryType,
  type ArchiveLimits,
  type CheckedEntry,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ENTRIES,
} from "./entry_guard.ts";
