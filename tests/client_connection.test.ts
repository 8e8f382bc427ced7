/**
 * Connection failures that waiting cannot fix fail fast, with their cause: nothing listening on
 * this machine (two quick retries, about a second in all), a host name that does not resolve
 * (none). Transient ones — a connection cut before any answer — keep their full retries.
 */
import assert from "node:assert/strict";
import { ConnectionError, listUserCheckpoints, type RetryInfo } from "../mod.ts";
import {
  classifyConnectionFailure,
  fastFailure,
  LOCAL_REFUSED_RETRY_DELAYS_MS,
} from "../src/client/http/connection_failure.ts";
import { main } from "../cli.ts";
import { captureIo } from "./_cli_helpers.ts";

const KEY = "tml-connection-test-key";

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  return port;
}

Deno.test("refused on 127.0.0.1: two quick retries (not five backoffs), the cause in the message", async () => {
  const port = closedPort();
  const retries: RetryInfo[] = [];
  const err = await listUserCheckpoints({
    apiKey: KEY,
    baseUrl: `http://127.0.0.1:${port}`,
    maxRetries: 5,
    onRetry: (r) => retries.push(r),
  }).catch((e) => e);
  assert.ok(err instanceof ConnectionError, String(err));
  assert.equal(err.failure, "refused");
  assert.match(err.message, /refused/i, "the cause, not just 'fetch failed'");
  assert.doesNotMatch(err.message, /\(fetch failed\)/);
  assert.deepEqual(retries.map((r) => r.delayMs), [...LOCAL_REFUSED_RETRY_DELAYS_MS]);
});

Deno.test("an unresolvable host name is not retried", async () => {
  let retries = 0;
  const err = await listUserCheckpoints({
    apiKey: KEY,
    baseUrl: "http://no-such-host.invalid",
    maxRetries: 5,
    onRetry: () => retries++,
  }).catch((e) => e);
  assert.ok(err instanceof ConnectionError, String(err));
  assert.equal(err.failure, "unresolvable");
  assert.equal(retries, 0);
});

Deno.test("a connection cut before any answer is transient: every retry is used", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close(); // accept, then hang up without a byte
    }
  })();
  try {
    let retries = 0;
    const err = await listUserCheckpoints({
      apiKey: KEY,
      baseUrl: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
      maxRetries: 3,
      retryInitialDelayMs: 1,
      onRetry: () => retries++,
    }).catch((e) => e);
    assert.ok(err instanceof ConnectionError, String(err));
    assert.equal(err.failure, "other");
    assert.equal(retries, 3);
    assert.ok(accepted >= 4, `${accepted} connections`);
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
});

Deno.test("classification reads Node's and Bun's nested codes; temporary DNS failures stay transient", () => {
  const node = (code: string, message: string) =>
    new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
  assert.equal(
    classifyConnectionFailure(node("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:8080")).kind,
    "refused",
  );
  const both = new TypeError("fetch failed", {
    cause: new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })]),
  });
  assert.equal(
    classifyConnectionFailure(both).kind,
    "refused",
    "localhost tries ::1 and 127.0.0.1",
  );
  assert.equal(
    classifyConnectionFailure(node("ENOTFOUND", "getaddrinfo ENOTFOUND x")).kind,
    "unresolvable",
  );
  assert.equal(
    classifyConnectionFailure(node("EAI_AGAIN", "getaddrinfo EAI_AGAIN x")).kind,
    "other",
  );
  assert.equal(classifyConnectionFailure(node("ECONNRESET", "socket hang up")).kind, "other");
  assert.equal(
    classifyConnectionFailure(node("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:8080")).detail,
    "connect ECONNREFUSED 127.0.0.1:8080",
  );
  // A remote host refusing may be a restart behind a load balancer: the usual backoff applies.
  const refused = node("ECONNREFUSED", "connect ECONNREFUSED 203.0.113.5:443");
  assert.equal(fastFailure(refused, "https://tinker.example/api", 0), undefined);
  assert.deepEqual(fastFailure(refused, "http://localhost:8080/api", 0), {
    giveUp: false,
    delayMs: LOCAL_REFUSED_RETRY_DELAYS_MS[0],
  });
  assert.deepEqual(fastFailure(refused, "http://[::1]:8080/api", 2), { giveUp: true });
});

Deno.test("the CLI names the cause and asks whether tinkex serve is running on that port", async () => {
  const port = closedPort();
  const c = captureIo();
  const code = await main(
    ["checkpoint", "list", "--api-key", KEY, "--base-url", `http://127.0.0.1:${port}`],
    c.io,
  );
  assert.equal(code, 1);
  assert.match(
    c.stderr(),
    /^Error: Connection error: (GET|POST) http:\/\/127\.0\.0\.1:\d+\S* \(.*refused/im,
  );
  assert.match(c.stderr(), new RegExp(`is tinkex serve running on port ${port}\\?`));
  assert.match(c.stderr(), /^connection refused; retrying in 0\.3 s \(retry 1\)\.\.\.$/m);
  assert.doesNotMatch(c.stderr(), /API key/i, "a bad address does not get the API-key hint");
});
