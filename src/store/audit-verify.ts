/**
 * Loads the audit chains and checkpoints from the database and runs the streaming ChainVerifier.
 * Rows are read through a cursor (bounded memory) in one REPEATABLE READ snapshot, so rows and
 * checkpoints are mutually consistent while writers keep appending: a checkpoint committed after
 * our snapshot cannot make still-invisible rows look "truncated".
 */
import type { PrincipalTypeName, SeverityName, AuditEventType } from "../domain/audit-events.js";
import type { AuditRecord, ChainHead, Checkpoint, CheckpointSigner } from "../domain/audit-chain.js";
import { ChainVerifier, type VerifyResult } from "../domain/chain-verifier.js";
import type { Sql } from "./database.js";
import { admitted } from "./admission.js";
import { APP_ROLE, toConnectError, type DbContext, type Tx, type TxOptions } from "./tx.js";

/** A row of audit_log as postgres.js returns it (int8 arrives as a string). */
export interface AuditRow {
  id: string;
  shard: number;
  seq: string | number;
  time: Date;
  event_type: string;
  severity: string;
  principal_id: string | null;
  principal_type: string;
  roles: string[];
  service: string | null;
  method: string | null;
  resource_type: string | null;
  resource_id: string | null;
  success: boolean;
  code: string;
  error_message: string | null;
  client_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  session_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export const AUDIT_COLUMNS = [
  "id",
  "shard",
  "seq",
  "time",
  "event_type",
  "severity",
  "principal_id",
  "principal_type",
  "roles",
  "service",
  "method",
  "resource_type",
  "resource_id",
  "success",
  "code",
  "error_message",
  "client_address",
  "user_agent",
  "request_id",
  "session_id",
  "details",
  "prev_hash",
  "hash",
] as const;

/**
 * Stored values are taken as they are (no validation): a tampered event type or severity must still
 * reach the verifier, which then reports the row as modified.
 */
export function rowToRecord(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    shard: r.shard,
    seq: Number(r.seq),
    time: r.time,
    eventType: r.event_type as AuditEventType,
    severity: r.severity as SeverityName,
    principalId: r.principal_id,
    principalType: r.principal_type as PrincipalTypeName,
    roles: r.roles,
    service: r.service,
    method: r.method,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    success: r.success,
    code: r.code,
    errorMessage: r.error_message,
    clientAddress: r.client_address,
    userAgent: r.user_agent,
    requestId: r.request_id,
    sessionId: r.session_id,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

interface CheckpointRow {
  id: string;
  time: Date;
  heads: ChainHead[];
  pruned_through: ChainHead[] | null;
  signature: string;
}

function rowToCheckpoint(r: CheckpointRow): Checkpoint {
  return {
    id: r.id,
    time: r.time,
    heads: r.heads,
    ...(r.pruned_through ? { prunedThrough: r.pruned_through } : {}),
    signature: r.signature,
  };
}

export async function loadCheckpoints(tx: Tx): Promise<Checkpoint[]> {
  const rows = await tx<
    CheckpointRow[]
  >`select id::text as id, time, heads, pruned_through, signature from audit_checkpoints order by id`;
  return rows.map(rowToCheckpoint);
}

/**
 * Like inTx (same role and RLS settings) but in a read-only REPEATABLE READ snapshot. `ctx` must be
 * admin or system: audit rows are invisible to anyone else.
 */
async function inSnapshot<T>(
  sql: Sql,
  ctx: DbContext,
  opts: TxOptions | undefined,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const userId = ctx.kind === "system" ? "" : ctx.userId;
  try {
    const snapshot = "isolation level repeatable read read only";
    return (await admitted(sql, ctx, opts, () =>
      sql.begin(snapshot, async (tx) => {
        await tx`select set_config('role', ${APP_ROLE}, true),
                      set_config('app.user_id', ${userId}, true),
                      set_config('app.admin', ${ctx.kind === "admin" ? "on" : ""}, true),
                      set_config('app.system', ${ctx.kind === "system" ? "on" : ""}, true)`;
        return fn(tx);
      }),
    )) as T;
  } catch (err) {
    throw toConnectError(err);
  }
}

export interface VerifyOptions {
  /** Rows fetched per cursor round trip. */
  batchSize?: number;
  /** The call the verification runs for (none from the CLI). */
  txOptions?: TxOptions;
}

/** Recomputes every chain against the signed checkpoints; stops at the first fault. */
export async function verifyAuditLog(
  sql: Sql,
  ctx: DbContext,
  key: Buffer | CheckpointSigner,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  return inSnapshot(sql, ctx, options.txOptions, (tx) => verifyInTx(tx, key, options));
}

async function verifyInTx(tx: Tx, key: Buffer | CheckpointSigner, options: VerifyOptions = {}): Promise<VerifyResult> {
  const verifier = new ChainVerifier(await loadCheckpoints(tx), key);
  const cursor = tx<
    AuditRow[]
  >`select ${tx(AUDIT_COLUMNS as unknown as string[])} from audit_log order by shard, seq`.cursor(
    options.batchSize ?? 500,
  );
  // Leaving the loop early (first fault) closes the cursor.
  outer: for await (const batch of cursor) {
    for (const row of batch) if (!verifier.push(rowToRecord(row))) break outer;
  }
  return verifier.finish();
}
