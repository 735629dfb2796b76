/**
 * Read side of the audit log: filtered, newest-first keyset paging with a true total, per-user
 * activity, security events and statistics. Every function takes a transaction opened in the admin
 * (or system) context: row-level security hides audit rows from everyone else.
 */
import { SEVERITIES, severityRank, type AuditEventType, type SeverityName } from "../domain/audit-events.js";
import { AUDIT_COLUMNS, type AuditRow } from "./audit-verify.js";
import type { Tx } from "./tx.js";
import { overlay } from "../domain/objects.js";

export interface AuditFilter {
  eventType?: AuditEventType;
  /** The acting principal's user id. */
  userId?: string;
  resourceType?: string;
  resourceId?: string;
  success?: boolean;
  /** This severity or above. */
  minSeverity?: SeverityName;
  /** Inclusive lower / exclusive upper bound on the event time. */
  start?: Date;
  end?: Date;
  /** Severity ≥ warning, or failed, or a security.* event (GetSecurityEvents). */
  securityRelevant?: boolean;
}

/** Position after the last row of a page: rows are ordered by (time, id) descending. */
export interface AuditCursor {
  time: Date;
  id: string;
}

const WARNING_OR_ABOVE = SEVERITIES.filter((s) => severityRank(s) >= severityRank("warning"));

function conditions(tx: Tx, f: AuditFilter) {
  const parts = [];
  if (f.eventType !== undefined) parts.push(tx`event_type = ${f.eventType}`);
  if (f.userId !== undefined) parts.push(tx`principal_id = ${f.userId}`);
  if (f.resourceType !== undefined) parts.push(tx`resource_type = ${f.resourceType}`);
  if (f.resourceId !== undefined) parts.push(tx`resource_id = ${f.resourceId}`);
  if (f.success !== undefined) parts.push(tx`success = ${f.success}`);
  if (f.minSeverity !== undefined)
    parts.push(tx`severity in ${tx(SEVERITIES.filter((s) => severityRank(s) >= severityRank(f.minSeverity!)))}`);
  if (f.start !== undefined) parts.push(tx`time >= ${f.start}`);
  if (f.end !== undefined) parts.push(tx`time < ${f.end}`);
  if (f.securityRelevant)
    parts.push(tx`(severity in ${tx(WARNING_OR_ABOVE)} or not success or event_type like 'security.%')`);
  return parts;
}

/** `cond1 and cond2 ...` (or `true`) as one fragment. */
function where(tx: Tx, f: AuditFilter, after?: AuditCursor) {
  const parts = conditions(tx, f);
  if (after) parts.push(tx`(time, id) < (${after.time}, ${after.id}::uuid)`);
  return parts.length === 0 ? tx`true` : parts.reduce((acc, p) => tx`${acc} and ${p}`);
}

const columns = (tx: Tx) => tx(AUDIT_COLUMNS as unknown as string[]);

export interface AuditPage {
  rows: AuditRow[];
  /** Rows matching the filter over all pages (not only after the cursor). */
  total: number;
  next?: AuditCursor;
}

export async function queryAuditLogs(
  tx: Tx,
  filter: AuditFilter,
  page: { size: number; after?: AuditCursor },
): Promise<AuditPage> {
  // One statement, so the page and the total see one snapshot (read audits commit between statements); one
  // extra row tells whether another page exists. The left join keeps the total when the page is empty.
  // (The column list comes first: postgres.js reads an earlier "in" as the context of a later helper.)
  const joined = await tx<(AuditRow & { total_n: string })[]>`
    select p.*, t.n as total_n from (select 1) one
    left join lateral (select ${columns(tx)} from audit_log where ${where(tx, filter, page.after)}
      order by time desc, id desc limit ${page.size + 1}) p on true
    cross join (select count(*) as n from audit_log where ${where(tx, filter)}) t
    order by p.time desc, p.id desc`;
  const count = joined[0] && { n: joined[0].total_n };
  const rows: AuditRow[] = joined.filter((r) => r.id !== null).map(({ total_n: _, ...row }) => row);
  const more = rows.length > page.size;
  const kept = more ? rows.slice(0, page.size) : rows;
  const last = kept[kept.length - 1];
  return {
    rows: kept,
    total: Number(count?.n ?? 0),
    ...(more && last ? { next: { time: last.time, id: last.id } } : {}),
  };
}

export interface EventCount {
  eventType: string;
  count: number;
}

async function countByEventType(tx: Tx, filter: AuditFilter): Promise<EventCount[]> {
  const rows = await tx<{ event_type: string; n: string }[]>`select event_type, count(*) as n from audit_log
    where ${where(tx, filter)} group by event_type order by count(*) desc, event_type`;
  return rows.map((r) => ({ eventType: r.event_type, count: Number(r.n) }));
}

export async function userActivity(
  tx: Tx,
  userId: string,
  since: Date | undefined,
  limit: number,
): Promise<AuditPage & { byEventType: EventCount[] }> {
  const filter: AuditFilter = { userId, ...(since ? { start: since } : {}) };
  const page = await queryAuditLogs(tx, filter, { size: limit });
  return { rows: page.rows, total: page.total, byEventType: await countByEventType(tx, filter) };
}

export async function securityEvents(tx: Tx, since: Date | undefined, limit: number): Promise<AuditPage> {
  const page = await queryAuditLogs(
    tx,
    { securityRelevant: true, ...(since ? { start: since } : {}) },
    { size: limit },
  );
  return { rows: page.rows, total: page.total };
}

export interface AuditStatistics {
  total: number;
  successCount: number;
  failureCount: number;
  uniquePrincipals: number;
  byEventType: EventCount[];
  topDeniedMethods: { method: string; count: number }[];
}

export async function auditStatistics(tx: Tx, since: Date, until: Date, topN = 10): Promise<AuditStatistics> {
  const window: AuditFilter = { start: since, end: until };
  const [t] = await tx<{ total: string; ok: string; failed: string; principals: string }[]>`
    select count(*) as total, count(*) filter (where success) as ok, count(*) filter (where not success) as failed,
           count(distinct principal_id) as principals
    from audit_log where ${where(tx, window)}`;
  const denied = await tx<{ method: string; n: string }[]>`
    select coalesce(service, '') || '/' || coalesce(method, '') as method, count(*) as n from audit_log
    where ${where(tx, overlay(window, { eventType: "authz.access.denied" }))}
    group by 1 order by count(*) desc, 1 limit ${topN}`;
  return {
    total: Number(t?.total ?? 0),
    successCount: Number(t?.ok ?? 0),
    failureCount: Number(t?.failed ?? 0),
    uniquePrincipals: Number(t?.principals ?? 0),
    byEventType: await countByEventType(tx, window),
    topDeniedMethods: denied.map((r) => ({ method: r.method, count: Number(r.n) })),
  };
}
