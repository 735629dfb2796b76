/**
 * Every query of a request runs in one transaction that first drops to the unprivileged
 * memoric_app role and sets the tenant context with transaction-local settings (never a plain SET,
 * which would leak to the next user of the pooled connection). Row-level security then confines
 * the transaction to that context: the second, independent layer behind the application's checks.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type postgres from "postgres";
import { admitted, limitsOf, type TxOptions } from "./admission.js";
import type { Sql } from "./database.js";
import { assertDatabaseUp } from "./db-gate.js";

export type Tx = postgres.TransactionSql;

/** Our postgres.js patch: the transaction's n-th statement is its last, COMMIT is written behind it. */
type CommitAhead = Tx & { commitAfter(n: number): void };

export interface InTxOptions extends TxOptions {
  /**
   * fn runs exactly one statement (a read, or a write whose result fn does not need to decide
   * anything else): COMMIT is written right behind it instead of after its answer, one round trip
   * less. A second statement fails the call; it never runs outside the transaction.
   */
  oneStatement?: boolean | undefined;
  /**
   * The transaction's prepared statements run on their generic plan (planned once per connection),
   * never re-planned per call. For statements whose plan does not depend on the values (index probes
   * by owner and key): planning the search costs more than running it, and PostgreSQL's own choice
   * between the two flips with small changes to the estimates.
   */
  genericPlans?: boolean | undefined;
}

/** Whose data a transaction may touch. */
export type DbContext =
  /**
   * An account acting on its own rows; with ownerId, confined to that one owner (an end user, or the
   * account's own memories) — a delegated token's call, or a call naming an end user.
   */
  | { kind: "user"; userId: string; ownerId?: string | undefined }
  /** An admin on the explicit admin path (every such call is audited by the caller). */
  | { kind: "admin"; userId: string }
  /** Authentication look-ups and background jobs that act for no single user. */
  | { kind: "system" };

export const APP_ROLE = "memoric_app";

export function userContext(userId: string, ownerId?: string): DbContext {
  return { kind: "user", userId, ownerId };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid (or nothing) as a SET LOCAL literal; anything else is a bug, never interpolated. */
function uuidLiteral(id: string | undefined): string {
  if (id === undefined || id === "") return "''";
  if (!UUID_RE.test(id)) throw new TypeError("transaction context ids must be UUIDs");
  return `'${id}'`;
}

/**
 * The transaction's RLS context as SET LOCAL statements, one simple-protocol query: a distributed
 * engine forwards SET LOCAL to the shards, which it does not do for set_config() (DESIGN.md §11).
 * Only UUIDs and integers are interpolated, each checked first.
 */
function contextStatements(ctx: DbContext, timeoutMs: number | undefined, genericPlans: boolean): string {
  const userId = ctx.kind === "system" ? undefined : ctx.userId;
  const ownerId = ctx.kind === "user" ? ctx.ownerId : undefined;
  const statements = [
    `set local role ${APP_ROLE}`,
    `set local app.user_id = ${uuidLiteral(userId)}`,
    `set local app.owner_id = ${uuidLiteral(ownerId)}`,
    `set local app.admin = '${ctx.kind === "admin" ? "on" : ""}'`,
    `set local app.system = '${ctx.kind === "system" ? "on" : ""}'`,
  ];
  if (timeoutMs !== undefined) {
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
      throw new TypeError("statement timeout must be a count of ms");
    statements.push(`set local statement_timeout = ${timeoutMs}`);
  }
  if (genericPlans) statements.push("set local plan_cache_mode = force_generic_plan");
  return statements.join("; ");
}
export const SYSTEM: DbContext = { kind: "system" };

export type { TxOptions } from "./admission.js";

/** Runs fn in one transaction under ctx. Connection failures become Unavailable. */
export async function inTx<T>(sql: Sql, ctx: DbContext, fn: (tx: Tx) => Promise<T>, opts?: InTxOptions): Promise<T> {
  assertDatabaseUp(sql);
  // The call's deadline becomes the transaction's statement_timeout, so Postgres cancels the SQL of
  // a call whose client has stopped waiting; the configured default bounds calls without one (the
  // lower of both applies). A lock wait counts as statement time, so this bounds row-lock waits too:
  // a lock_timeout would only relabel the same wait, and no transaction here idles waiting on a client.
  const deadline = opts?.deadline;
  if (deadline !== undefined && deadline <= Date.now()) {
    throw new ConnectError("deadline exceeded before the query started", Code.DeadlineExceeded);
  }
  const defaultMs = limitsOf(sql)?.statementTimeoutMs ?? 0;
  let byDefault = false;
  try {
    return await admitted(
      sql,
      ctx,
      opts,
      () =>
        sql.begin(async (tx) => {
          const leftMs = deadline === undefined ? undefined : Math.max(1, Math.floor(deadline - Date.now()));
          byDefault = defaultMs > 0 && (leftMs === undefined || defaultMs < leftMs);
          const timeoutMs = byDefault ? defaultMs : leftMs;
          // Sent at once and pipelined ahead of fn's first statement on the same connection (saves a
          // round trip per request); postgres.js queries are lazy, hence execute(). unsafe() without
          // parameters is one simple-protocol query, never a prepared statement per account.
          const context = tx.unsafe(contextStatements(ctx, timeoutMs, opts?.genericPlans === true)).execute();
          if (opts?.oneStatement) (tx as CommitAhead).commitAfter(2); // the context, then fn's statement
          try {
            const result = await fn(tx);
            await context;
            return result;
          } catch (err) {
            await context; // a failed context is the root cause: report it rather than its fallout
            throw err;
          }
        }) as Promise<T>,
    );
  } catch (err) {
    if (byDefault && (err as { code?: string }).code === "57014") {
      throw new ConnectError(`database statement exceeded the server's ${defaultMs} ms limit`, Code.DeadlineExceeded);
    }
    throw toConnectError(err);
  }
}

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ETIMEDOUT",
  "EPIPE",
]);

/** Database failures a caller can act on get a typed code; the rest stay for the error interceptor. */
export function toConnectError(err: unknown): unknown {
  if (err instanceof ConnectError) return err;
  const code = (err as { code?: string }).code;
  if (code !== undefined && CONNECTION_ERRORS.has(code)) {
    return new ConnectError("database unavailable, retry later", Code.Unavailable);
  }
  // 57P01 admin shutdown, 57P03 cannot connect now, 53300 too many connections, 40001/40P01 retryable.
  if (code === "57P01" || code === "57P03" || code === "53300") {
    return new ConnectError("database unavailable, retry later", Code.Unavailable);
  }
  // 57014: statement_timeout (the call's deadline, see interceptors/deadline.ts) or a cancel.
  if (code === "57014") return new ConnectError("deadline exceeded", Code.DeadlineExceeded);
  if (code === "40001" || code === "40P01") {
    return new ConnectError("concurrent update, retry", Code.Aborted);
  }
  return err;
}

/** The statement came after the final one of a one-statement transaction (InTxOptions.oneStatement). */
export function isAfterFinalStatement(err: unknown): boolean {
  return (err as { code?: string }).code === "COMMITTED_AHEAD";
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint_name?: string };
  return e.code === "23505" && (constraint === undefined || e.constraint_name === constraint);
}
