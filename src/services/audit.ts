/**
 * memoric.v1.AuditService — admin only. The authorization interceptor enforces `audit:read`; the
 * handlers check it again (two independent layers) and run every query in the admin database
 * context, the only one (with system) that row-level security lets read audit rows. Every call is
 * itself audited by the audit interceptor (audit.queried); VerifyAuditChain writes its own
 * audit.verified row so a broken chain is recorded as critical.
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  AuditLogSchema, ChainFaultSchema, EventTypeCountSchema, EventTypeSchema, MethodCountSchema, SeverityLevelSchema, Severity,
  type AuditLog, type AuditService,
} from "../../gen/memoric/v1/audit_pb.js";
import {
  describeEventTypes, describeSeverities, isAuditEventType, isSeverityName, PRINCIPAL_TYPES, principalTypeToProto, severityFromProto,
  severityToProto, type PrincipalTypeName,
} from "../domain/audit-events.js";
import { permissionDenied } from "../domain/error-info.js";
import { invalidField } from "../domain/field-violations.js";
import { callInfo, callState, requirePrincipal, type Principal } from "../interceptors/call-context.js";
import type { AppDeps } from "../server/deps.js";
import {
  auditStatistics, decodePageToken, DEFAULT_PAGE_SIZE, encodePageToken, MAX_PAGE_SIZE, queryAuditLogs, securityEvents, userActivity,
  type AuditFilter, type EventCount,
} from "../store/audit-queries.js";
import { verifyAuditLog, type AuditRow } from "../store/audit-verify.js";
import { inTx, type Tx } from "../store/tx.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_FILTER_CHARS = 256;
// Postgres timestamptz cannot hold every JS Date (nor years before 4713 BC); keep to plain years.
const MIN_TIME = Date.UTC(1, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const DAY_MS = 86_400_000;

const invalid = (field: string, why: string) => invalidField(field, why);

/** Error messages name the field, never echo the value (it is attacker-controlled and ends up in the audit row). */
function time(field: string, ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  const d = timestampDate(ts);
  if (Number.isNaN(d.getTime()) || d.getTime() < MIN_TIME || d.getTime() > MAX_TIME || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw invalid(field, "out of range");
  }
  return d;
}

function text(field: string, value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > MAX_FILTER_CHARS) throw invalid(field, `longer than ${MAX_FILTER_CHARS} characters`);
  return value;
}

function userId(field: string, value: string): string | undefined {
  if (value === "") return undefined;
  if (!UUID.test(value)) throw invalid(field, "must be a UUID");
  return value.toLowerCase();
}

function pageSize(field: string, n: number): number {
  if (n < 0) throw invalid(field, "must not be negative");
  return n === 0 ? DEFAULT_PAGE_SIZE : Math.min(n, MAX_PAGE_SIZE);
}

function range(startField: string, start: Date | undefined, endField: string, end: Date | undefined): void {
  if (start && end && end.getTime() < start.getTime()) throw invalid(endField, `must not be before ${startField}`);
}

function toAuditLog(r: AuditRow): AuditLog {
  return create(AuditLogSchema, {
    id: r.id,
    shard: r.shard,
    sequence: BigInt(r.seq),
    eventType: r.event_type,
    severity: isSeverityName(r.severity) ? severityToProto(r.severity) : Severity.UNSPECIFIED,
    time: timestampFromDate(r.time),
    principalId: r.principal_id ?? "",
    principalType: (PRINCIPAL_TYPES as readonly string[]).includes(r.principal_type) ? principalTypeToProto(r.principal_type as PrincipalTypeName) : 0,
    roles: r.roles,
    service: r.service ?? "",
    method: r.method ?? "",
    resourceType: r.resource_type ?? "",
    resourceId: r.resource_id ?? "",
    success: r.success,
    code: r.code,
    errorMessage: r.error_message ?? "",
    clientAddress: r.client_address ?? "",
    userAgent: r.user_agent ?? "",
    requestId: r.request_id ?? "",
    sessionId: r.session_id ?? "",
    details: r.details as AuditLog["details"],
    hash: r.hash,
  });
}

const counts = (c: EventCount[]) => c.map((e) => create(EventTypeCountSchema, { eventType: e.eventType, count: BigInt(e.count) }));

export function auditService(deps: AppDeps): ServiceImpl<typeof AuditService> {
  const sql = deps.db.sql;

  /** Second layer behind the authz interceptor: an admin credential with audit:read. */
  function reader(ctx: HandlerContext): Principal {
    const p = requirePrincipal(ctx);
    if (!p.permissions.has("audit:read")) throw permissionDenied("permission denied", "PERMISSION_MISSING", { permission: "audit:read" });
    return p;
  }
  const asAdmin = <T>(p: Principal, fn: (tx: Tx) => Promise<T>) => inTx(sql, { kind: "admin", userId: p.userId }, fn);

  /** What the audit.queried row says about this read: which filters, how much came back. */
  function describe(ctx: HandlerContext, details: Record<string, unknown>): void {
    const s = callState(ctx);
    s.resourceType = "audit_log";
    s.details = details;
  }

  return {
    async queryAuditLogs(req, ctx) {
      const p = reader(ctx);
      const severity = req.severity === Severity.UNSPECIFIED ? undefined : severityFromProto(req.severity);
      if (req.severity !== Severity.UNSPECIFIED && !severity) throw invalid("severity", "unknown value");
      const eventType = text("event_type", req.eventType);
      if (eventType !== undefined && !isAuditEventType(eventType)) throw invalid("event_type", "unknown event type (see ListEventTypes)");
      const filter: AuditFilter = {
        eventType,
        userId: userId("user_id", req.userId),
        resourceType: text("resource_type", req.resourceType),
        resourceId: text("resource_id", req.resourceId),
        success: req.success,
        minSeverity: severity,
        start: time("start_time", req.startTime),
        end: time("end_time", req.endTime),
      };
      range("start_time", filter.start, "end_time", filter.end);
      const size = pageSize("page_size", req.pageSize);
      const after = req.pageToken === "" ? undefined : decodePageToken(req.pageToken, filter);
      const page = await asAdmin(p, (tx) => queryAuditLogs(tx, filter, { size, after }));
      describe(ctx, { query: "logs", filters: Object.keys(filter).filter((k) => filter[k as keyof AuditFilter] !== undefined), returned: page.rows.length, total: page.total });
      return {
        logs: page.rows.map(toAuditLog),
        total: BigInt(page.total),
        nextPageToken: page.next ? encodePageToken(page.next, filter) : "",
      };
    },

    async getUserActivity(req, ctx) {
      const p = reader(ctx);
      const user = userId("user_id", req.userId);
      if (!user) throw invalid("user_id", "required");
      const since = time("since", req.since);
      const limit = pageSize("limit", req.limit);
      const r = await asAdmin(p, (tx) => userActivity(tx, user, since, limit));
      describe(ctx, { query: "user_activity", returned: r.rows.length, total: r.total });
      callState(ctx).resourceId = user;
      return { logs: r.rows.map(toAuditLog), total: BigInt(r.total), byEventType: counts(r.byEventType) };
    },

    async getSecurityEvents(req, ctx) {
      const p = reader(ctx);
      const since = time("since", req.since);
      const limit = pageSize("limit", req.limit);
      const r = await asAdmin(p, (tx) => securityEvents(tx, since, limit));
      describe(ctx, { query: "security_events", returned: r.rows.length, total: r.total });
      return { logs: r.rows.map(toAuditLog), total: BigInt(r.total) };
    },

    async getAuditStatistics(req, ctx) {
      const p = reader(ctx);
      const until = time("until", req.until) ?? new Date();
      const since = time("since", req.since) ?? new Date(until.getTime() - DAY_MS);
      range("since", since, "until", until);
      const s = await asAdmin(p, (tx) => auditStatistics(tx, since, until));
      describe(ctx, { query: "statistics", total: s.total });
      return {
        total: BigInt(s.total),
        successCount: BigInt(s.successCount),
        failureCount: BigInt(s.failureCount),
        uniquePrincipals: BigInt(s.uniquePrincipals),
        byEventType: counts(s.byEventType),
        topDeniedMethods: s.topDeniedMethods.map((m) => create(MethodCountSchema, { method: m.method, count: BigInt(m.count) })),
      };
    },

    async listEventTypes(_req, ctx) {
      reader(ctx);
      describe(ctx, { query: "event_types" });
      return { eventTypes: describeEventTypes().map((e) => create(EventTypeSchema, e)) };
    },

    async listSeverityLevels(_req, ctx) {
      reader(ctx);
      describe(ctx, { query: "severity_levels" });
      return { levels: describeSeverities().map((s) => create(SeverityLevelSchema, s)) };
    },

    async verifyAuditChain(_req, ctx) {
      const p = reader(ctx);
      const result = await verifyAuditLog(sql, { kind: "admin", userId: p.userId }, deps.secrets.auditKey);
      const bad = result.firstBad;
      if (bad) deps.logger.error({ shard: bad.shard, seq: bad.seq, reason: bad.reason }, "audit chain verification failed");
      // Written here rather than by the interceptor: a broken chain is a critical event, not an info one.
      const state = callState(ctx);
      try {
        await deps.audit.recordStandalone(callInfo(ctx), {
          type: "audit.verified", success: true, resourceType: "audit_log", ...(bad ? { severity: "critical" } : {}),
          details: { ok: result.ok, checked: result.checked, checkpoints: result.checkpointsVerified, ...(bad ? { shard: bad.shard, seq: bad.seq, reason: bad.reason } : {}) },
        });
      } catch {
        deps.logger.error({ requestId: callInfo(ctx).requestId }, "audit write failed (audit.verified); answering anyway");
      }
      state.audited = true;
      return {
        ok: result.ok,
        checked: BigInt(result.checked),
        checkpointsVerified: BigInt(result.checkpointsVerified),
        ...(bad ? { firstBad: create(ChainFaultSchema, { shard: bad.shard, sequence: BigInt(bad.seq), auditLogId: bad.id ?? "", reason: bad.reason }) } : {}),
      };
    },
  };
}
