/**
 * Listing 10,000 checkpoints across all pages: `iterateCheckpoints` with the module's defaults
 * (page size 1000, 4 pages at once) against walking `listUserCheckpoints` page by page at the
 * service's default limit (100). Requests are counted with a counting `fetch`; both walks must
 * yield the same tinker paths in the same order. The server runs in its own process; the
 * clients run in the benchmark process.
 * @module
 */
import { hasMore, iterateCheckpoints, listUserCheckpoints, type TinkerConfig } from "../mod.ts";
import {
  DEFAULT_ITERATE_CONCURRENCY,
  DEFAULT_ITERATE_PAGE_SIZE,
} from "../src/client/pagination.ts";
import { startFixture } from "./fixture.ts";
import { summarize, type Summary } from "./stats.ts";

/** Measurements of one listing method. */
export interface ListingFigure {
  /** What was measured. */
  method: string;
  /** Checkpoints listed. */
  items: number;
  /** HTTP requests made per full listing. */
  requests: number;
  /** Milliseconds per full listing. */
  ms: Summary;
}

/** The result of {@link benchListing}. */
export interface ListingResult {
  /** One figure per method: module defaults first, then page by page. */
  figures: ListingFigure[];
  /** Page-by-page time over module-defaults time (medians). */
  speedup: number;
  /** Both walks gave the same tinker paths in the same order (checked on every run). */
  identical: boolean;
}

/** Options of {@link benchListing}. */
export interface ListingBenchOptions {
  /** Checkpoints to seed (10,000). */
  count: number;
  /** Measured runs per method (after one warm-up). */
  runs: number;
  /** Called with a line of progress. */
  log: (line: string) => void;
}

/** A config whose fetch counts requests. */
function counting(base: TinkerConfig): { config: TinkerConfig; count: () => number } {
  let n = 0;
  return {
    config: {
      ...base,
      fetch: (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
        n++;
        return fetch(input, init);
      },
    },
    count: () => n,
  };
}

async function withDefaults(base: TinkerConfig): Promise<{ paths: string[]; requests: number }> {
  const { config, count } = counting(base);
  const paths: string[] = [];
  for await (const c of iterateCheckpoints(config)) paths.push(c.tinker_path);
  return { paths, requests: count() };
}

async function pageByPage(base: TinkerConfig): Promise<{ paths: string[]; requests: number }> {
  const { config, count } = counting(base);
  const paths: string[] = [];
  let offset = 0;
  for (;;) {
    const page = await listUserCheckpoints(config, { offset }); // default limit 100
    for (const c of page.checkpoints) paths.push(c.tinker_path);
    if (!hasMore(page.cursor) || page.checkpoints.length === 0) break;
    offset += page.checkpoints.length;
  }
  return { paths, requests: count() };
}

/** Run the listing benchmark. */
export async function benchListing(opts: ListingBenchOptions): Promise<ListingResult> {
  const fixture = await startFixture({ listCount: opts.count });
  try {
    const config: TinkerConfig = { apiKey: fixture.apiKey, baseUrl: fixture.baseUrl };
    const methods = [
      {
        name:
          `iterateCheckpoints (pageSize ${DEFAULT_ITERATE_PAGE_SIZE}, concurrency ${DEFAULT_ITERATE_CONCURRENCY})`,
        walk: withDefaults,
      },
      { name: "listUserCheckpoints page by page (limit 100)", walk: pageByPage },
    ];
    const times = methods.map(() => [] as number[]);
    const requests = methods.map(() => 0);
    let reference: string[] | undefined;
    let identical = true;
    for (let i = -1; i < opts.runs; i++) {
      for (const [m, method] of methods.entries()) {
        const t0 = performance.now();
        const r = await method.walk(config);
        const ms = performance.now() - t0;
        reference ??= r.paths;
        const same = r.paths.length === reference.length &&
          r.paths.every((p, k) => p === reference![k]);
        if (!same || r.paths.length !== opts.count) {
          identical = false;
          throw new Error(
            `Listing results differ: ${method.name} gave ${r.paths.length} checkpoints`,
          );
        }
        requests[m] = r.requests;
        if (i < 0) continue; // warm-up
        times[m].push(ms);
        opts.log(`  ${method.name}: run ${i + 1}: ${ms.toFixed(1)} ms, ${r.requests} requests`);
      }
    }
    const figures = methods.map((m, k) => ({
      method: m.name,
      items: opts.count,
      requests: requests[k],
      ms: summarize(times[k]),
    }));
    return { figures, speedup: figures[1].ms.median / figures[0].ms.median, identical };
  } finally {
    await fixture.close();
  }
}

if (import.meta.main) {
  const r = await benchListing({ count: 10_000, runs: 5, log: (l) => console.error(l) });
  console.log(JSON.stringify(r, null, 1));
}
