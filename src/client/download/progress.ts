/**
 * Download progress: the event shape and a throttle that keeps callbacks to a few per second.
 * @module
 */

/** Where a download is: asking for the URL, receiving bytes, checking them, or finished. */
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

/**
 * Calls a progress callback at most once per `intervalMs`, except on a change of phase (so the
 * first and the last report), which always goes through. Internal to the download module.
 */
export class ProgressThrottle {
  #callback?: ProgressCallback;
  #intervalMs: number;
  #last = -Infinity;
  #phase?: DownloadPhase;

  /** Wrap `callback` (may be undefined: then reports are dropped). */
  constructor(callback: ProgressCallback | undefined, intervalMs = DEFAULT_PROGRESS_INTERVAL_MS) {
    this.#callback = callback;
    this.#intervalMs = intervalMs;
  }

  /** Report, unless the previous report, of the same phase, was less than the interval ago. */
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
