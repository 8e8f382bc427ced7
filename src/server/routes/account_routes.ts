/**
 * The account's view (SDK 0.31+): current checkpoint storage, hourly billing usage (the window
 * rules as 400s), the audit log (admin role, else 403), session trace exports (polled, then a
 * signed URL) and moving sessions into projects.
 * @module
 */
import type { RequestContext, Route } from "../http/context.ts";
import { readJsonBody } from "../http/input.ts";
import { badRequest, HttpError, json, notFound } from "../http/responses.ts";
import { billingWindowProblem, parseRfc3339 } from "../../protocol/billing_window.ts";
import { AUDIT_EVENT_TYPES, auditLogOf } from "../account/audit_log.ts";
import { billingEvents, currentStorage } from "../account/usage.ts";
import { traceExportStatus, traceFile, traceObjectId } from "../account/trace_export.ts";
import { identityOf } from "../auth/accounts.ts";
import { ownSession } from "./training_routes.ts";

const PROJECT_ID = /^[\w.:-]{1,128}$/;

function storage(ctx: RequestContext): Promise<Response> {
  const projectId = ctx.url.searchParams.get("project_id");
  if (projectId !== null && !PROJECT_ID.test(projectId)) {
    throw badRequest("Query project_id must be 1–128 letters, digits or . _ : -");
  }
  return Promise.resolve(json(currentStorage(ctx.server, ctx.user, projectId, Date.now())));
}

function usageEvents(ctx: RequestContext): Promise<Response> {
  const at = (name: string): number => {
    const raw = ctx.url.searchParams.get(name);
    if (raw === null) {
      throw badRequest(`Query ${name} is required (RFC 3339, e.g. 2026-07-13T00:00:00Z)`);
    }
    const ms = parseRfc3339(raw);
    if (ms === undefined) {
      throw badRequest(`Query ${name} is not an RFC 3339 time with a zone: ${JSON.stringify(raw)}`);
    }
    return ms;
  };
  const start = at("starting_on");
  const end = at("ending_before");
  const now = Date.now();
  const problem = billingWindowProblem(start, end, now);
  if (problem) throw badRequest(`Invalid billing window: ${problem}`);
  return Promise.resolve(json(billingEvents(ctx.server, ctx.user, start, end, now)));
}

async function audit(ctx: RequestContext): Promise<Response> {
  if (!ctx.server.accounts.isAdmin(ctx.user)) {
    throw new HttpError(
      403,
      "Permission denied: the audit log needs the admin role (tinker-admin)",
    );
  }
  const eventType = ctx.url.searchParams.get("event_type") ?? "all";
  if (!Object.hasOwn(AUDIT_EVENT_TYPES, eventType)) {
    throw badRequest(
      `Query event_type must be one of ${Object.keys(AUDIT_EVENT_TYPES).join(", ")}, got ${
        JSON.stringify(eventType)
      }`,
    );
  }
  const day = ctx.url.searchParams.get("day") ?? new Date().toISOString().slice(0, 10);
  // A calendar day: Date.parse would take 2026-02-30 as March 2nd.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !isCalendarDay(day)) {
    throw badRequest(`Query day must be a date YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  const entries = await auditLogOf(ctx.server).read(day, AUDIT_EVENT_TYPES[eventType]);
  return json({ entries });
}

function isCalendarDay(day: string): boolean {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day;
}

async function assignProject(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  const projectId = body.project_id;
  if (typeof projectId !== "string" || projectId === "") {
    throw badRequest('Field "project_id" is required: the destination project id');
  }
  if (!PROJECT_ID.test(projectId)) {
    throw badRequest('Field "project_id" must be 1–128 letters, digits or . _ : -');
  }
  const session = ownSession(ctx, ctx.params.id);
  const from = session.project_id ?? null;
  await ctx.server.store.updateSession(session.id, (draft) => {
    draft.project_id = projectId;
  });
  await auditLogOf(ctx.server).record([{
    timestamp: new Date().toISOString(),
    event: "project.session_assigned",
    model_id: null,
    tinker_path: null,
    purpose: null,
    user_id: identityOf(ctx.user).org_user_urn,
    event_details: { session_id: session.id, project_id: projectId, previous_project_id: from },
  }]);
  return json({ session_id: session.id, project_id: projectId });
}

async function traceExport(ctx: RequestContext): Promise<Response> {
  const session = ownSession(ctx, ctx.params.id);
  const origin = `${
    ctx.server.options.publicUrl ?? ctx.url.origin
  }${ctx.prefix}/api/v1/trace_files`;
  return json(await traceExportStatus(ctx.server, session.id, ctx.user, origin, Date.now()));
}

async function traceDownload(ctx: RequestContext): Promise<Response> {
  const sessionId = /^([\w-]{1,128})\.json$/.exec(ctx.params.file)?.[1];
  const expires = Number(ctx.url.searchParams.get("expires") ?? "");
  const sig = ctx.url.searchParams.get("sig") ?? "";
  const user = ctx.url.searchParams.get("user") ?? "";
  if (!sessionId || !Number.isInteger(expires) || sig === "" || user === "") {
    throw new HttpError(403, "Trace URL is not signed: get one from the trace_export endpoint");
  }
  const grant = { objectId: traceObjectId(sessionId), expires, user };
  if (!(await ctx.server.signer.verify(grant, sig))) {
    throw new HttpError(403, "Trace URL signature does not match: the URL was altered");
  }
  if (expires * 1000 <= Date.now()) {
    throw new HttpError(403, "Trace URL expired: export the trace again for a fresh one");
  }
  // Checked again at use: the session must still exist and still be theirs.
  if (ctx.server.store.session(sessionId)?.owner !== user) {
    throw notFound("This session no longer exists");
  }
  const res = json(traceFile(ctx.server, sessionId));
  res.headers.set("content-disposition", `attachment; filename="${sessionId}.json"`);
  return res;
}

/** The account routes. */
export const accountRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/api/v1/billing/usage/checkpoints/current",
    auth: true,
    handler: storage,
  },
  { method: "GET", pattern: "/api/v1/billing/usage/events", auth: true, handler: usageEvents },
  { method: "GET", pattern: "/api/v1/audit", auth: true, handler: audit },
  { method: "PUT", pattern: "/api/v1/sessions/:id/project", auth: true, handler: assignProject },
  { method: "GET", pattern: "/api/v1/sessions/:id/trace_export", auth: true, handler: traceExport },
  { method: "GET", pattern: "/api/v1/trace_files/:file", auth: false, handler: traceDownload },
];
