/**
 * Starting and stopping the benchmark server process ({@link ./fixture_server.ts}).
 * @module
 */

import { spawnAnnounced } from "./proc.ts";

/** A running benchmark server process. */
export interface Fixture {
  /** Base URL on 127.0.0.1. */
  baseUrl: string;
  /** The API key of its user. */
  apiKey: string;
  /** Its (temporary) data directory. */
  dataDir: string;
  /** Process id of the server. */
  pid: number;
  /** Stop the server and wait until it removed its data directory (unless one was given). */
  close(): Promise<void>;
}

/** Options of {@link startFixture}. */
export interface FixtureOptions {
  /** Seed one checkpoint whose archive is about this many bytes. */
  archiveBytes?: number;
  /** Seed this many cheap checkpoint records for listing. */
  listCount?: number;
  /** Where signed archive URLs point (e.g. a capped store in front of the server). */
  publicUrl?: string;
  /** A data directory to use and keep (default: a temporary one, removed on close). */
  dataDir?: string;
}

/** Start the server in its own process and wait until it listens. */
export async function startFixture(opts: FixtureOptions = {}): Promise<Fixture> {
  const args = ["run", "-A", new URL("./fixture_server.ts", import.meta.url).pathname];
  if (opts.archiveBytes) args.push("--archive-bytes", String(opts.archiveBytes));
  if (opts.listCount) args.push("--list-count", String(opts.listCount));
  if (opts.publicUrl) args.push("--public-url", opts.publicUrl);
  if (opts.dataDir) args.push("--data", opts.dataDir);
  const child = await spawnAnnounced<Omit<Fixture, "close" | "pid">>(
    args,
    "the benchmark server",
  );
  return { ...child.info, pid: child.pid, close: child.close };
}
