/**
 * The audit trail's write path (contract). Mutations call record() inside their own transaction so
 * the change and its audit row commit or roll back together (fail closed); the audit interceptor
 * calls recordStandalone() for every other outcome (reads, denials, failures).
 */
import type { AuditEventType, SeverityName } from "../domain/audit-events.js";
import type { CallInfo } from "../interceptors/call-context.js";
import type { Tx } from "./tx.js";

export interface AuditEventInput {
  type: AuditEventType;
  success: boolean;
  /** Defaults to the event type's default severity. */
  severity?: SeverityName;
  /** gRPC code name ("ok", "permission_denied", ...); defaults to "ok" / "unknown". */
  code?: string;
  resourceType?: string;
  resourceId?: string;
  /** Never a secret, never memory content. */
  errorMessage?: string;
  /** Ids, counts and HMACs only. */
  details?: Record<string, unknown>;
}

/** Who acted when no RPC is involved (start-up, shutdown, background jobs, CLI). */
export interface SystemActor {
  system: string;
}

export interface AuditWriter {
  /** Appends one row inside the caller's transaction; throws (and so rolls the caller back) on failure. */
  record(tx: Tx, call: CallInfo | SystemActor, event: AuditEventInput): Promise<void>;
  /** Appends one row in a transaction of its own. */
  recordStandalone(call: CallInfo | SystemActor, event: AuditEventInput): Promise<void>;
}

// PLACEHOLDER until the audit issue's writer lands: writes nothing. Replaced by the real,
// hash-chained implementation (createAuditWriter keeps this signature).
export function createAuditWriter(_deps: { sql: import("./database.js").Sql }): AuditWriter {
  return {
    async record() {},
    async recordStandalone() {},
  };
}
