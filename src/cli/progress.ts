/**
 * Download progress on stderr: a redrawn bar with rate and ETA on a terminal, plain lines
 * (phase changes and every 10 %) otherwise. Colour only on a terminal without `NO_COLOR`.
 * @module
 */
import type { DownloadProgress } from "../../mod.ts";
import { stylesFor } from "./color.ts";
import { formatSize } from "./format.ts";
import type { CliIo } from "./io.ts";

/** Shows progress; `finish` ends the display (e.g. ends the redrawn line). */
export interface ProgressDisplay {
  /** Show a new state. */
  update(info: DownloadProgress): void;
  /** End the display. */
  finish(): void;
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
  return io.isTerminal.stderr ? terminalProgress(io, now, opts.redrawMs ?? 100) : lineProgress(io);
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

function terminalProgress(io: CliIo, now: () => number, redrawMs: number): ProgressDisplay {
  const s = stylesFor(io, "stderr");
  let phase = "";
  let phaseStart = 0;
  let phaseStartBytes = 0;
  let lastDraw = -Infinity;
  let drawn = false;
  return {
    update(info) {
      if (info.phase === "done") return;
      const t = now();
      const changed = info.phase !== phase;
      if (changed) {
        if (drawn) io.stderr("\n");
        phase = info.phase;
        phaseStart = t;
        phaseStartBytes = info.transferredBytes;
      }
      const complete = percentOf(info) === 100;
      if (!changed && !complete && t - lastDraw < redrawMs) return;
      lastDraw = t;
      const elapsed = (t - phaseStart) / 1000;
      const rate = elapsed > 0.2 ? (info.transferredBytes - phaseStartBytes) / elapsed : undefined;
      const plain = progressLine(info, rate);
      const width = io.columns();
      const line = !width || plain.length < width
        ? progressLine(info, rate, s.cyan)
        : plain.slice(0, width - 1);
      io.stderr(`\r\x1b[2K${line}`);
      drawn = true;
    },
    finish() {
      if (drawn) io.stderr("\n");
      drawn = false;
    },
  };
}

function lineProgress(io: CliIo): ProgressDisplay {
  let phase = "";
  let nextStep = 0;
  return {
    update(info) {
      if (info.phase !== phase) {
        phase = info.phase;
        nextStep = 10;
        if (phase !== "done") io.stderr(`${phaseLabel(phase)}...\n`);
      }
      if (["resolving", "verifying", "done"].includes(phase)) return;
      const pct = percentOf(info);
      if (pct === undefined || pct < nextStep) return;
      const step = Math.floor(pct / 10) * 10;
      nextStep = step + 10;
      const total = info.totalBytes ? ` of ${formatSize(info.totalBytes)}` : "";
      io.stderr(`${phaseLabel(phase)}: ${step}% (${formatSize(info.transferredBytes)}${total})\n`);
    },
    finish() {},
  };
}
