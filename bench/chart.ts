/**
 * A hand-written SVG line chart of download throughput against archive size, one line per
 * method, with min–max whiskers. No dependencies.
 * @module
 */
import type { DownloadFigure } from "./download.ts";

const COLORS = ["#2563eb", "#16a34a", "#6b7280", "#dc2626", "#9333ea"];
const W = 720;
const H = 420;
const M = { left: 70, right: 200, top: 40, bottom: 60 };

/** A horizontal reference line, e.g. the server's own limit. */
export interface Ceiling {
  /** Label drawn above the line. */
  label: string;
  /** Its value in MB/s. */
  mbps: number;
}

/** Render the throughput chart (MB/s against archive size, log₂ x axis). */
export function throughputSvg(
  figures: DownloadFigure[],
  title: string,
  ceiling?: Ceiling,
): string {
  const methods = [...new Set(figures.map((f) => f.method))];
  const sizes = [...new Set(figures.map((f) => f.bytes))].sort((a, b) => a - b);
  const maxY = niceCeil(Math.max(ceiling?.mbps ?? 0, ...figures.map((f) => f.mbps.max)) * 1.05);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const lx = (b: number): number => Math.log2(b);
  const [x0, x1] = [lx(sizes[0]), lx(sizes[sizes.length - 1])];
  const x = (b: number): number =>
    M.left + (x1 === x0 ? plotW / 2 : ((lx(b) - x0) / (x1 - x0)) * plotW);
  const y = (v: number): number => M.top + plotH - (v / maxY) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="15" ` +
      `font-weight="600">${escape(title)}</text>`,
  );
  // Grid and y axis.
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (maxY / ticks) * i;
    out.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`,
      `<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(18 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">` +
      `MB/s, higher is better (median; whiskers min–max)</text>`,
  );
  // X axis.
  out.push(
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" ` +
      `stroke="#111"/>`,
  );
  for (const s of sizes) {
    out.push(
      `<line x1="${x(s)}" x2="${x(s)}" y1="${M.top + plotH}" y2="${
        M.top + plotH + 5
      }" stroke="#111"/>`,
      `<text x="${x(s)}" y="${M.top + plotH + 20}" text-anchor="middle">${sizeLabel(s)}</text>`,
    );
  }
  out.push(
    `<text x="${M.left + plotW / 2}" y="${H - 16}" text-anchor="middle">archive size</text>`,
  );
  if (ceiling) {
    out.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(ceiling.mbps)}" ` +
        `y2="${y(ceiling.mbps)}" stroke="#111" stroke-dasharray="2 4"/>`,
      `<text x="${M.left + 6}" y="${y(ceiling.mbps) - 6}" fill="#111">${escape(ceiling.label)}: ${
        ceiling.mbps.toFixed(0)
      } MB/s</text>`,
    );
  }
  // Lines, points, whiskers, legend.
  methods.forEach((method, k) => {
    const color = COLORS[k % COLORS.length];
    const points = figures.filter((f) => f.method === method).sort((a, b) => a.bytes - b.bytes);
    const dash = k === 2 ? ` stroke-dasharray="6 4"` : "";
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${
        points.map((p) => `${x(p.bytes).toFixed(1)},${y(p.mbps.median).toFixed(1)}`).join(" ")
      }"/>`,
    );
    const dx = (k - (methods.length - 1) / 2) * 4; // keep whiskers apart
    for (const p of points) {
      const px = x(p.bytes) + dx;
      out.push(
        `<line x1="${px}" x2="${px}" y1="${y(p.mbps.min)}" y2="${y(p.mbps.max)}" ` +
          `stroke="${color}" stroke-width="1.5"/>`,
        `<circle cx="${x(p.bytes)}" cy="${y(p.mbps.median)}" r="4" fill="${color}">` +
          `<title>${escape(method)}, ${sizeLabel(p.bytes)}: ${p.mbps.median.toFixed(0)} MB/s ` +
          `(${p.mbps.min.toFixed(0)}–${p.mbps.max.toFixed(0)})</title></circle>`,
      );
    }
    const ly = M.top + 10 + k * 22;
    const lx0 = M.left + plotW + 20;
    out.push(
      `<line x1="${lx0}" x2="${lx0 + 24}" y1="${ly}" y2="${ly}" stroke="${color}" ` +
        `stroke-width="2"${dash}/>`,
      `<circle cx="${lx0 + 12}" cy="${ly}" r="4" fill="${color}"/>`,
      `<text x="${lx0 + 32}" y="${ly + 4}">${escape(method)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function niceCeil(v: number): number {
  const step = 10 ** Math.floor(Math.log10(v)) / 2;
  return Math.ceil(v / step) * step;
}

function sizeLabel(bytes: number): string {
  return bytes >= 2 ** 30 * 0.99
    ? `${+(bytes / 2 ** 30).toFixed(1)} GiB`
    : `${Math.round(bytes / 2 ** 20)} MiB`;
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
