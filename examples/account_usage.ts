/**
 * What the account costs and what happened in it: current checkpoint storage (with the monthly
 * estimate), the last full hour's billed storage, and today's audit log (needs the admin role).
 *
 * Run: `npx -y deno@2 run -A examples/account_usage.ts`
 * @module
 */
import {
  configFromEnv,
  getAuditLog,
  getBillingUsage,
  getCheckpointStorageUsage,
  PermissionDeniedError,
} from "@tinkex/tinkex";

const config = configFromEnv();

const storage = await getCheckpointStorageUsage(config);
const gb = storage.data.reduce((n, d) => n + d.size_gigabytes, 0);
const monthly = storage.data.reduce((n, d) => n + (d.estimated_monthly_cost_usd ?? 0), 0);
console.log(`Storage: ${gb.toFixed(4)} GB, about $${monthly.toFixed(2)} a month`);

// Billing windows are whole UTC hours: the last complete one.
const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const usage = await getBillingUsage(config, new Date(hour - 3_600_000), new Date(hour));
const gbh = usage.data.reduce(
  (n, e) => n + (e.event_info.type === "storage" ? e.event_info.gigabyte_hours : 0),
  0,
);
console.log(`Last hour: ${gbh.toFixed(4)} GB-hours of storage in ${usage.data.length} rows`);

try {
  const { entries } = await getAuditLog(config);
  console.log(`Audit log today: ${entries.length} events`);
} catch (e) {
  if (!(e instanceof PermissionDeniedError)) throw e;
  console.log("Audit log: needs the admin role");
}
