/**
 * What every AuditService handler shares. The authorization interceptor enforces `audit:read`; the
 * handlers check it again (two independent layers) and run every query in the admin database
 * context (adminScope), the only one (with system) that row-level security lets read audit rows.
 * Every call is itself audited by the audit interceptor (audit.queried), described by queried().
 */
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { canonicalJson } from "../../domain/audit-chain.js";
import { permissionDenied } from "../../domain/error-info.js";
import { invalidField } from "../../domain/field-violations.js";
import type { PageSizeRule } from "../../domain/validation.js";
import type { ReadOutcome } from "../../domain/call.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import type { AuditFilter } from "../../store/audit-queries.js";

/** page_size and limit of every audit read: 1-1000, default 100. */
export const AUDIT_PAGE: PageSizeRule = { default: 100, max: 1000 };

const MAX_FILTER_CHARS = 256;
// Postgres timestamptz cannot hold every JS Date (nor years before 4713 BC); keep to plain years.
const MIN_TIME = Date.UTC(1, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Second layer behind the authz interceptor: an admin credential with audit:read. */
export function reader(ctx: HandlerContext): void {
  if (!requirePrincipal(ctx).permissions.has("audit:read")) {
    throw permissionDenied("permission denied", "PERMISSION_MISSING", { permission: "audit:read" });
  }
}

/** What the audit.queried row says about this read: which filters, how much came back. */
export function queried(details: Record<string, unknown>, resourceId?: string): ReadOutcome {
  return { resourceType: "audit_log", resourceId, details };
}

/** Error messages name the field, never echo the value (it is attacker-controlled and ends up in the audit row). */
export function time(field: string, ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  const d = timestampDate(ts);
  const ms = d.getTime();
  if (Number.isNaN(ms) || ms < MIN_TIME || ms > MAX_TIME || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw invalidField(field, "out of range");
  }
  return d;
}

export function text(field: string, value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > MAX_FILTER_CHARS) throw invalidField(field, `longer than ${MAX_FILTER_CHARS} characters`);
  return value;
}

export function range(startField: string, start: Date | undefined, endField: string, end: Date | undefined): void {
  if (start && end && end.getTime() < start.getTime()) throw invalidField(endField, `must not be before ${startField}`);
}

/** A page token's scope: the filters it was issued for (reuse with others would skip or repeat rows). */
export function filterFingerprint(f: AuditFilter): string {
  return createHash("sha256").update(canonicalJson(f)).digest("base64url").slice(0, 16);
}
