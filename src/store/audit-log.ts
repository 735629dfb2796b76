/**
 * The audit trail's write path. Mutations call record() inside their own transaction so the change
 * and its audit row commit or roll back together (fail closed); the audit interceptor calls
 * recordStandalone() for every other outcome (reads, denials, failures).
 *
 * Append protocol (see 0003_audit.sql): one call to audit_append() locks the shard's head row,
 * numbers the row (seq = head + 1), hashes it (SHA-256(prev ‖ canonical), the canonical text built
 * here by audit-chain.ts), inserts it and moves the head; the result is re-checked in JS over the
 * same canonical text (chainHashSplit). The head lock is held until the caller commits: that is what makes
 * the sequence gap-free, so callers should record() as the LAST statement of their transaction
 * (shorter lock, and no lock-order inversion with their own rows).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import {
  AUDIT_EVENTS,
  type AuditEventType,
  type PrincipalTypeName,
  type SeverityName,
} from "../domain/audit-events.js";
import {
  canonicalParts,
  canonicalJson,
  chainHashSplit,
  DEFAULT_SHARDS,
  shardFor,
  shardKey,
  type AuditRecord,
  type AuditRecordFields,
} from "../domain/audit-chain.js";
import { safeForLog } from "../domain/sanitize.js";
import { isUuid } from "../domain/validation.js";
import type { Config } from "../config.js";
import type { CallInfo } from "../domain/call.js";
import type { Logger } from "../logger.js";
import type { AuditAppendMode, Metrics } from "../metrics/metrics.js";
import type { Sql } from "./database.js";
import type { Tx } from "./tx.js";
import { AuditBatcher } from "./audit-batch.js";

export interface AuditEventInput {
  type: AuditEventType;
  success: boolean;
  /** Defaults to the event type's default severity. */
  severity?: SeverityName;
  /** gRPC code name ("ok", "permission_denied", ...); defaults to "ok" / "unknown". */
  code?: string;
  resourceType?: string;
  resourceId?: string;
  /** Never a secret, never memory content. Scrubbed again before storage (see scrubErrorMessage). */
  errorMessage?: string;
  /** Ids, counts and HMACs only. */
  details?: Record<string, unknown>;
}

/** Who acted when no RPC is involved (start-up, shutdown, background jobs, CLI). */
export interface SystemActor {
  system: string;
}

/** Who an audit row names: an RPC's caller or a system actor. */
export type Actor = CallInfo | SystemActor;

export interface AuditWriter {
  /** Appends one row inside the caller's transaction; throws Unavailable (rolling the caller back) on failure. */
  record(tx: Tx, call: CallInfo | SystemActor, event: AuditEventInput): Promise<void>;
  /**
   * Appends one row outside any transaction, group-committed with other such rows (audit-batch.ts):
   * resolves once it is committed; throws Unavailable when it could not be, within the bound.
   */
  recordStandalone(call: CallInfo | SystemActor, event: AuditEventInput): Promise<void>;
  /** Stops the batcher's timer (server shutdown, after the last call). */
  close(): void;
}

export interface AuditWriterDeps {
  sql: Sql;
  /** config.audit; defaults: enabled, 16 shards. */
  config?: Partial<Pick<Config["audit"], "enabled" | "shards" | "batchBoundMs" | "batchMaxQueued">>;
  logger?: Logger;
  /** Clock override (tests back-date rows for retention). */
  now?: () => Date;
  /** Append latency is observed here when given. */
  metrics?: Pick<Metrics, "auditAppended">;
}

/** "PermissionDenied" → "permission_denied" (the gRPC status name, as stored in the `code` column). */
export function codeName(code: Code): string {
  if (code === Code.Canceled) return "cancelled"; // gRPC's spelling
  return (Code[code] ?? "Unknown").replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}

const MAX_ERROR_MESSAGE = 512;

/**
 * Defence in depth for error messages that end up in the audit row: handlers must never put a
 * secret in an error, but a message echoing request data could. Removes bearer credentials, JWTs,
 * mk_ API keys, "password=..."-style pairs and long base64/hex runs (keys, tokens, hashes); UUIDs
 * (resource ids) survive. Length-capped.
 */
export function scrubErrorMessage(message: string): string {
  const out = message
    .replace(/\b(bearer|basic)\s+\S+/gi, "$1 [redacted]")
    .replace(/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g, "[redacted]")
    .replace(/\bmk_[A-Za-z0-9_-]*/g, "mk_[redacted]")
    .replace(
      /\b(password|passwd|secret|token|api[_-]?key|authorization)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi,
      "$1$2[redacted]",
    )
    .replace(/[A-Za-z0-9+/_=-]{32,}/g, (m) => (isUuid(m) ? m : "[redacted]"));
  return out.length > MAX_ERROR_MESSAGE ? out.slice(0, MAX_ERROR_MESSAGE - 1) + "…" : out;
}

// Postgres text/jsonb cannot hold NUL, and a lone surrogate is re-encoded as U+FFFD on the way in:
// either would make the stored row differ from the hashed one. Normalize before sealing.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
function storable(s: string): string {
  return s.replace(UNSTORABLE, "\ufffd");
}
function storableJson(v: unknown): unknown {
  if (typeof v === "string") return storable(v);
  if (Array.isArray(v)) return v.map(storableJson);
  if (v !== null && typeof v === "object" && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [storable(k), storableJson(x)]));
  }
  return v;
}
const opt = (s: string | null | undefined): string | null =>
  s === undefined || s === null || s === "" ? null : storable(s);

function isSystemActor(call: CallInfo | SystemActor): call is SystemActor {
  return typeof (call as SystemActor).system === "string";
}

/** Everything but the chain position: who, what, outcome, where. Exported for tests. */
function auditFields(
  call: CallInfo | SystemActor,
  event: AuditEventInput,
  shards: number,
  time: Date,
): Omit<AuditRecordFields, "seq"> {
  const spec = AUDIT_EVENTS[event.type];
  if (!spec) throw new TypeError(`unknown audit event type ${JSON.stringify(event.type)}`);
  let principalId: string | null = null;
  let principalType: PrincipalTypeName = "anonymous";
  let roles: string[] = [];
  let sessionId: string | null = null;
  let details: Record<string, unknown> = { ...(event.details ?? {}) };
  let key: string;
  let where: Pick<AuditRecordFields, "service" | "method" | "clientAddress" | "userAgent" | "requestId"> = {
    service: null,
    method: null,
    clientAddress: null,
    userAgent: null,
    requestId: null,
  };
  if (isSystemActor(call)) {
    principalType = "system";
    details = { actor: call.system, ...details };
    // A stable key per actor: two events of one job lock the same shard, never two in opposite order.
    key = `system:${call.system}`;
  } else {
    const p = call.principal;
    if (p) {
      principalId = p.userId;
      principalType = p.type;
      roles = [...p.roles];
      sessionId = p.sessionId || null;
    }
    // Which end user the call acted for: the internal id only, never the backend's external id.
    if (call.endUser !== undefined) details = { end_user: call.endUser, ...details };
    where = {
      service: opt(call.service),
      method: opt(call.method),
      clientAddress: opt(call.clientAddress),
      userAgent: opt(call.userAgent),
      requestId: opt(call.requestId),
    };
    key = shardKey(where.requestId, principalId);
  }
  const errorMessage =
    event.errorMessage === undefined || event.errorMessage === ""
      ? null
      : storable(scrubErrorMessage(event.errorMessage));
  return {
    id: randomUUID(),
    shard: shardFor(key, shards),
    time,
    eventType: event.type,
    severity: event.severity ?? spec.defaultSeverity,
    principalId: opt(principalId),
    principalType,
    roles: roles.map(storable),
    ...where,
    resourceType: opt(event.resourceType),
    resourceId: opt(event.resourceId),
    success: event.success,
    code: storable(event.code ?? (event.success ? "ok" : "unknown")),
    errorMessage,
    sessionId: opt(sessionId),
    // Round-trip through canonical JSON so what we hash is exactly what jsonb gives back.
    details: JSON.parse(canonicalJson(storableJson(details))) as Record<string, unknown>,
  };
}

/** Appends one row to its shard inside tx, in one round trip (audit_append in 0003_audit.sql). Throws the raw error. */
async function appendRecord(tx: Tx | Sql, f: Omit<AuditRecordFields, "seq">): Promise<AuditRecord> {
  const [head, tail] = canonicalParts(f);
  const [row] = await tx<{ seq: string; prev_hash: string; hash: string }[]>`
    select seq, prev_hash, hash from audit_append(${f.shard}, ${f.id}, ${f.time}, ${f.eventType}, ${f.severity},
      ${f.principalId}, ${f.principalType}, ${f.roles}::text[], ${f.service}, ${f.method},
      ${f.resourceType}, ${f.resourceId},
      ${f.success}, ${f.code}, ${f.errorMessage}, ${f.clientAddress}, ${f.userAgent}, ${f.requestId}, ${f.sessionId},
      ${tx.json(f.details as postgres.JSONValue)}, ${head}, ${tail})`;
  const r: AuditRecord = { seq: Number(row!.seq), prevHash: row!.prev_hash, hash: row!.hash, ...f };
  // The database hashed the canonical text; re-check it here so a row that would not verify (e.g. a
  // non-UTF-8 database encoding) is never committed: the caller's transaction fails instead.
  if (chainHashSplit(r.prevHash, head, r.seq, tail) !== r.hash) {
    throw new Error("audit hash mismatch between database and verifier");
  }
  return r;
}

export function createAuditWriter(deps: AuditWriterDeps): AuditWriter {
  const enabled = deps.config?.enabled ?? true;
  const shards = deps.config?.shards ?? DEFAULT_SHARDS;
  const now = deps.now ?? (() => new Date());

  const unavailable = (err: unknown, event: AuditEventInput): ConnectError => {
    if (err instanceof ConnectError && err.code === Code.Unavailable) return err;
    const e = err as { code?: unknown; message?: unknown };
    deps.logger?.error(
      {
        event: event.type,
        dbCode: typeof e.code === "string" ? e.code : undefined,
        err: safeForLog(String(e.message ?? err), 300),
      },
      "audit write failed",
    );
    return new ConnectError("audit log unavailable", Code.Unavailable);
  };

  /** Appends through `to`, timing the append (head-lock wait included: that is what callers feel). */
  const append = async (to: Tx | Sql, mode: AuditAppendMode, call: CallInfo | SystemActor, event: AuditEventInput) => {
    const started = performance.now();
    let ok = false;
    try {
      await appendRecord(to, auditFields(call, event, shards, now()));
      ok = true;
    } catch (err) {
      throw unavailable(err, event);
    } finally {
      deps.metrics?.auditAppended(mode, ok, (performance.now() - started) / 1000);
    }
  };

  const record = async (tx: Tx, call: CallInfo | SystemActor, event: AuditEventInput): Promise<void> => {
    if (!enabled) return;
    await append(tx, "transaction", call, event);
  };

  // One autocommit statement per batch (audit_append_batch locks the head, inserts and moves it
  // atomically). It runs as the connecting role, which may append too; no path of the application
  // role gains anything by it.
  const batcher = new AuditBatcher(
    deps.sql,
    {
      shards,
      boundMs: deps.config?.batchBoundMs ?? 1000,
      maxQueued: deps.config?.batchMaxQueued ?? 10_000,
      maxBatch: 500,
      flushers: Math.min(2, shards),
    },
    canonicalParts,
    (ok, seconds, err) => {
      deps.metrics?.auditAppended("batch", ok, seconds);
      if (!ok) {
        const e = err as { code?: unknown; message?: unknown };
        deps.logger?.error(
          { dbCode: typeof e.code === "string" ? e.code : undefined, err: safeForLog(String(e.message ?? err), 300) },
          "audit write failed (batch)",
        );
      }
    },
  );

  return {
    record,
    async recordStandalone(call, event) {
      if (!enabled) return;
      const { shard: _, ...row } = auditFields(call, event, shards, now());
      await batcher.append(row);
    },
    close: () => batcher.close(),
  };
}
