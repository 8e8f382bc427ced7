/**
 * Download progress on stderr: a redrawn bar with rate and ETA on a terminal, plain lines
 * (phase changes and every 10 %) otherwise. Notes (retrying, resuming) go above the bar, which
 * is redrawn below them; the frame on screen is always the latest state, and the last line says
 * how it ended. Colour only on a terminal without `NO_COLOR`.
 * @module
 */
import type { DownloadProgress, ResumeInfo } from "../../mod.ts";
import { stylesFor } from "./color.ts";
import { formatSize } from "./format.ts";
import type { CliIo } from "./io.ts";

/** How the download ended, for the display's last line. */
export type ProgressOutcome = { ok: true } | { ok: false; cancelled: boolean };

/** Shows progress; `finish` ends the display (e.g. ends the redrawn line). */
export interface ProgressDisplay {
  /** Show a new state. */
  update(info: DownloadProgress): void;
  /** A note above the bar (a retry, a resume), which is then redrawn below it. */
  note(text: string): void;
  /** A resume is coming: say why, and from where (`…; resuming at 41% in 1.0 s…`). */
  resuming(info: ResumeInfo): void;
  /**
   * End the display. With an outcome, the last line says it: `Downloaded 24.0 MB in 0:01
   * (20.0 MB/s)`, or the last frame marked `(failed)` / `(cancelled)` on a terminal.
   */
  finish(outcome?: ProgressOutcome): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** The clock, in ms (tests pass a fake one). */
  now?: () => number;
  /** Minimum ms between redraws on a terminal (default 100). */
  redrawMs?: number;
}

const BAR_WIDTH = 24;

/** A progress display for stderr: a bar on a terminal, plain lines otherwise. */
export function createProgress(io: CliIo, opts: ProgressOptions = {}): ProgressDisplay {
  const now = opts.now ?? (() => Date.now());
  return io.isTerminal.stderr
    ? terminalProgress(io, now, opts.redrawMs ?? 100)
    : lineProgress(io, now);
}

/** The label of a phase: `downloading` → `Downloading`; unknown phases are capitalized. */
export function phaseLabel(phase: string): string {
  const known: Record<string, string> = {
    resolving: "Requesting the download URL",
    downloading: "Downloading",
    verifying: "Verifying",
    done: "Done",
  };
  return known[phase] ?? phase.charAt(0).toUpperCase() + phase.slice(1);
}

/** Percent done, from the event or computed; undefined when unknown. */
export function percentOf(info: DownloadProgress): number | undefined {
  if (typeof info.percent === "number" && Number.isFinite(info.percent)) return info.percent;
  if (info.totalBytes && info.totalBytes > 0) {
    return Math.min(100, (info.transferredBytes / info.totalBytes) * 100);
  }
  return undefined;
}

/** Seconds as `m:ss` or `h:mm:ss`. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * One line of the terminal display: label, bar, percent, bytes, rate and ETA (when the rate is
 * known), e.g. `Downloading [#####-----] 45%  40.1 MB / 88.2 MB  12.3 MB/s  ETA 0:04`.
 */
export function progressLine(
  info: DownloadProgress,
  rateBytesPerSec: number | undefined,
  bar: (text: string) => string = (t) => t,
): string {
  const pct = percentOf(info);
  if (pct === undefined && info.transferredBytes === 0) return `${phaseLabel(info.phase)}...`;
  const parts = [phaseLabel(info.phase)];
  if (pct !== undefined) {
    const filled = Math.round((pct / 100) * BAR_WIDTH);
    parts.push(
      `[${bar("#".repeat(filled))}${"-".repeat(BAR_WIDTH - filled)}]`,
      `${Math.floor(pct)}%`,
    );
  }
  const total = info.totalBytes ? ` / ${formatSize(info.totalBytes)}` : "";
  parts.push(` ${formatSize(info.transferredBytes)}${total}`);
  if (rateBytesPerSec !== undefined && rateBytesPerSec > 0) {
    parts.push(` ${formatSize(rateBytesPerSec)}/s`);
    if (info.totalBytes) {
      parts.push(` ETA ${formatEta((info.totalBytes - info.transferredBytes) / rateBytesPerSec)}`);
    }
  }
  return parts.join(" ");
}

/** The note before a resume: why, from where, and when. */
export function resumeNote(info: ResumeInfo, totalBytes: number | undefined): string {
  const at = totalBytes
    ? `${Math.floor(Math.min(100, (info.offset / totalBytes) * 100))}% (${formatSize(info.offset)})`
    : formatSize(info.offset);
  const reason = info.reason.charAt(0).toUpperCase() + info.reason.slice(1);
  const when = info.delayMs > 0 ? ` in ${(info.delayMs / 1000).toFixed(1)} s` : "";
  return `${reason}; resuming at ${at}${when} (attempt ${info.attempt})…`;
}

/** `Downloaded 24.0 MB in 0:01 (20.0 MB/s)`: the line that ends a successful download. */
export function summaryLine(bytes: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? ` (${formatSize((bytes / elapsedMs) * 1000)}/s)` : "";
  return `Downloaded ${formatSize(bytes)} in ${formatEta(elapsedMs / 1000)}${rate}`;
}

/** What both displays track: the latest state, the phase's start, the total once known. */
class ProgressState {
  last?: DownloadProgress;
  phase = "";
  phaseStart = 0;
  phaseStartBytes = 0;
  start?: number;
  totalBytes?: number;

  /** Record `info` at time `t`; true when it starts a new phase. */
  record(info: DownloadProgress, t: number): boolean {
    this.start ??= t;
    this.last = info;
    this.totalBytes = info.totalBytes ?? this.totalBytes;
    if (info.phase === this.phase) return false;
    this.phase = info.phase;
    this.phaseStart = t;
    this.phaseStartBytes = info.transferredBytes;
    return true;
  }

  /** Bytes per second in this phase, once it has run long enough to say. */
  rate(t: number): number | undefined {
    const elapsed = (t - this.phaseStart) / 1000;
    if (!this.last || elapsed <= 0.2) return undefined;
    return (this.last.transferredBytes - this.phaseStartBytes) / elapsed;
  }
}

/** The byte counts of a report (its percent recomputed from them). */
function bytesOf(info: DownloadProgress): Partial<DownloadProgress> {
  const totalBytes = info.totalBytes;
  return {
    transferredBytes: info.transferredBytes,
    totalBytes,
    percent: totalBytes ? Math.min(100, (info.transferredBytes / totalBytes) * 100) : undefined,
  };
}

function terminalProgress(io: CliIo, now: () => number, redrawMs: number): ProgressDisplay {
  const s = stylesFor(io, "stderr");
  const state = new ProgressState();
  let lastDraw = -Infinity;
  let drawnInfo: DownloadProgress | undefined;
  let onScreen = false;
  const draw = (info: DownloadProgress, rate: number | undefined, suffix = "") => {
    const plain = progressLine(info, rate) + suffix;
    const width = io.columns();
    const line = !width || plain.length < width
      ? progressLine(info, rate, s.cyan) + suffix
      : plain.slice(0, width - 1);
    io.stderr(`\r\x1b[2K${line}`);
    drawnInfo = info;
    onScreen = true;
  };
  // The frame on screen is the latest state, never an older throttled one.
  const redrawIfStale = () => {
    if (state.last && onScreen && drawnInfo !== state.last) draw(state.last, state.rate(now()));
  };
  const endLine = () => {
    if (onScreen) io.stderr("\n");
    onScreen = false;
  };
  return {
    update(info) {
      const t = now();
      if (
        info.phase !== state.phase && state.last &&
        info.transferredBytes > state.last.transferredBytes
      ) {
        // The library's throttle may have dropped the phase's last report: bytes only grow, so
        // the next phase's count is where this one ended.
        state.last = { ...state.last, ...bytesOf(info) };
      }
      if (info.phase === "done") return;
      if (info.phase !== state.phase) {
        redrawIfStale();
        endLine();
      }
      const changed = state.record(info, t);
      const complete = percentOf(info) === 100;
      if (!changed && !complete && t - lastDraw < redrawMs) return;
      lastDraw = t;
      draw(info, state.rate(t));
    },
    note(text) {
      if (onScreen) io.stderr("\r\x1b[2K");
      io.stderr(`${text}\n`);
      if (onScreen && state.last) draw(state.last, undefined);
    },
    resuming(info) {
      this.note(resumeNote(info, state.totalBytes));
    },
    finish(outcome) {
      if (outcome?.ok && state.last) {
        if (onScreen) io.stderr("\r\x1b[2K");
        onScreen = false;
        io.stderr(`${summaryLine(state.last.transferredBytes, now() - (state.start ?? now()))}\n`);
      } else if (outcome && !outcome.ok && state.last && onScreen) {
        draw(state.last, undefined, outcome.cancelled ? " (cancelled)" : " (failed)");
      } else {
        redrawIfStale();
      }
      endLine();
    },
  };
}

function lineProgress(io: CliIo, now: () => number): ProgressDisplay {
  const state = new ProgressState();
  let nextStep = 0;
  let finished = false;
  return {
    update(info) {
      if (state.record(info, now())) {
        nextStep = 10;
        if (info.phase !== "done") io.stderr(`${phaseLabel(info.phase)}...\n`);
      }
      if (["resolving", "verifying", "done"].includes(state.phase)) return;
      const pct = percentOf(info);
      if (pct === undefined || pct < nextStep) return;
      const step = Math.floor(pct / 10) * 10;
      nextStep = step + 10;
      const total = info.totalBytes ? ` of ${formatSize(info.totalBytes)}` : "";
      io.stderr(
        `${phaseLabel(state.phase)}: ${step}% (${formatSize(info.transferredBytes)}${total})\n`,
      );
    },
    note(text) {
      io.stderr(`${text}\n`);
    },
    resuming(info) {
      this.note(resumeNote(info, state.totalBytes));
    },
    finish(outcome) {
      if (finished) return;
      if (outcome) finished = true;
      if (outcome?.ok && state.last) {
        io.stderr(`${summaryLine(state.last.transferredBytes, now() - (state.start ?? now()))}\n`);
      }
    },
  };
}
