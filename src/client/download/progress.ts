/**
 * Download progress: the event shape and a throttle that keeps callbacks to a few per second.
 * @module
 */

/**
 * Where a download is. `openArchiveStream` reports `resolving` (asking for the signed URL),
 * `downloading` and `done` (every byte arrived). `download()` reports `resolving`,
 * `downloading`, then `verifying` (every byte arrived; the end-of-archive marker is being
 * checked, the files closed and moved into place) and `done` (the destination is complete).
 */
export type DownloadPhase = "resolving" | "downloading" | "verifying" | "done";

/** One progress report (the shape `ky` uses, plus the phase and the current archive entry). */
export interface DownloadProgress {
  /** What is happening now. */
  phase: DownloadPhase;
  /** Archive bytes received so far (compressed bytes when the archive is gzipped). */
  transferredBytes: number;
  /** Archive size from `Content-Length`, when the server sent it. */
  totalBytes?: number;
  /** `transferredBytes / totalBytes` in 0–100, when the size is known. */
  percent?: number;
  /** The archive member being written, when extracting. */
  entry?: string;
}

/** A progress callback. Exceptions it throws are ignored. */
export type ProgressCallback = (progress: DownloadProgress) => void;

/** Default minimum time between two throttled progress calls, in ms (at most 10 per second). */
export const DEFAULT_PROGRESS_INTERVAL_MS = 100;

/** Where a layer of the download pipeline sends its progress reports. */
export interface ProgressSink {
  /** Take one report (the sink decides whether and how to pass it on). */
  report(progress: DownloadProgress): void;
}

/**
 * Calls a progress callback at most once per `intervalMs`, except on a change of phase (so the
 * first and the last report), which always goes through. Internal to the download module.
 */
export class ProgressThrottle implements ProgressSink {
  #callback?: ProgressCallback;
  #intervalMs: number;
  #last = -Infinity;
  #phase?: DownloadPhase;

  /** Wrap `callback` (may be undefined: then reports are dropped). */
  constructor(callback: ProgressCallback | undefined, intervalMs = DEFAULT_PROGRESS_INTERVAL_MS) {
    this.#callback = callback;
    this.#intervalMs = intervalMs;
  }

  /**
   * Report, unless the previous report, of the same phase, was less than the interval ago.
   * `percent` is computed here, the one place, from `transferredBytes` and `totalBytes`.
   */
  report(progress: DownloadProgress): void {
    if (this.#callback === undefined) return;
    const now = Date.now();
    if (progress.phase === this.#phase && now - this.#last < this.#intervalMs) return;
    this.#last = now;
    this.#phase = progress.phase;
    const withPercent = progress.totalBytes !== undefined && progress.totalBytes > 0
      ? {
        ...progress,
        percent: Math.min(100, (progress.transferredBytes / progress.totalBytes) * 100),
      }
      : progress;
    try {
      this.#callback(withPercent);
    } catch {
      // A failing progress callback must not break the download.
    }
  }
}
