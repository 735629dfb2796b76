/**
 * The one way a handler touches the database. A mutation runs
 *
 *   withAuditedTx(app, ctx, (tx) => store calls, outcome)
 *
 * which opens one transaction under the caller's RLS context (bounded by the call's deadline,
 * admitted in the call's bucket like every transaction, refused at once while the database is down), runs the store
 * functions with that `tx`, and appends the call's audit row as the LAST statement of the same
 * transaction: the change and its row commit together, and if the row cannot be written the change
 * rolls back and the call answers Unavailable (fail closed). Once committed, the helper sets
 * auditWrittenKey so the audit interceptor adds no outcome row of its own; a failure is recorded by
 * the interceptor.
 *
 * A read runs withReadTx(app, ctx, (tx) => store calls, describe): same transaction, no row inside
 * it; the interceptor writes the outcome row after the call (best effort), from the description the
 * helper hands over in readOutcomeKey.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../app-context.js";
import type { AuditEventType } from "../domain/audit-events.js";
import { auditWrittenKey, readOutcomeKey, type ReadOutcome } from "../domain/call.js";
import type { AuditEventInput } from "../store/audit-log.js";
import { inTx, isAfterFinalStatement, userContext, type DbContext, type Tx, type TxOptions } from "../store/tx.js";
import { RPCS } from "../domain/access-rules.js";
import { callInfo, requirePrincipal, txOptionsOf, type Principal } from "../interceptors/call-context.js";
import { overlay } from "../domain/objects.js";

/**
 * What the audit row written with the transaction says. The event defaults to the RPC's (its proto
 * access option) and success to true; a handler that commits a failure's row with its own change
 * (a refresh token reuse revokes the session) sets both, plus code.
 */
export type AuditedOutcome = Partial<Pick<AuditEventInput, "type" | "success">> &
  Omit<AuditEventInput, "type" | "success"> & {
    /** Whom the row names instead of the caller: Login's rows name the user who just proved who they are. */
    principal?: Principal;
  };

/**
 * One row, or several in order (a login and the session it opened). No row at all (an empty list)
 * leaves the call's outcome to the audit interceptor, as for a call that committed nothing worth a row.
 */
type AuditedOutcomes = AuditedOutcome | readonly AuditedOutcome[];

export type Described<D, T> = D | ((result: NoInfer<T>) => D);

export interface TxScope {
  /** Whose rows the transaction may touch; default: the principal's own (user context). */
  as?: DbContext;
  /**
   * The rows record a side effect of the call (an end user created by its first write), not its
   * outcome: the audit interceptor still records the call itself.
   */
  sideEffect?: boolean;
  /**
   * fn runs exactly ONE statement. For a mutation whose outcome does not depend on its result, the
   * audit row is sent right behind that statement without waiting for it; for a read, the COMMIT
   * (one round trip less either way). Only for such fns: with more statements the head lock would be
   * taken before their row locks, and a read's second statement fails the call.
   */
  singleStatement?: boolean;
  /** Run on generic plans (InTxOptions.genericPlans): for statements planned per call at a cost. */
  genericPlans?: boolean;
}

/** The call's deadline, admission bucket and abort signal, for transactions opened on its behalf. */
export function txOptions(ctx: HandlerContext): TxOptions {
  return txOptionsOf(ctx, ctx.values);
}

function scopeOf(ctx: HandlerContext, scope: TxScope | undefined): DbContext {
  return scope?.as ?? userContext(requirePrincipal(ctx).userId);
}

/** The explicit admin path: row-level security admits admin-context rows (the caller holds the permission). */
export function adminScope(ctx: HandlerContext): TxScope {
  return { as: { kind: "admin", userId: requirePrincipal(ctx).userId } };
}

function rpcEvent(ctx: HandlerContext): AuditEventType | undefined {
  const policy = RPCS[`${ctx.service.typeName}/${ctx.method.name}`];
  return policy?.event;
}

/**
 * Runs a mutation and its audit row in one transaction (see the file comment). `outcome` may depend
 * on fn's result (ids, counts); it comes after fn so that the result's type is inferred from fn.
 */
export async function withAuditedTx<T>(
  app: AppContext,
  ctx: HandlerContext,
  fn: (tx: Tx) => Promise<T>,
  outcome: Described<AuditedOutcomes, T>,
  scope?: TxScope,
): Promise<T> {
  const call = callInfo(ctx);
  let written = false;
  const result = await inTx(
    app.db.sql,
    scopeOf(ctx, scope),
    async (tx) => {
      if (scope?.singleStatement && typeof outcome !== "function") {
        // Both statements are queued on the connection in this order before either answers.
        const pending = fn(tx);
        const audited = appendRows(app, ctx, call, tx, outcome);
        audited.catch(() => {}); // reported below, unless fn's own error comes first
        const value = await pending;
        written = await audited;
        return value;
      }
      const value = await fn(tx);
      written = await appendRows(app, ctx, call, tx, typeof outcome === "function" ? outcome(value) : outcome);
      return value;
    },
    txOptions(ctx),
  );
  if (written && !scope?.sideEffect) ctx.values.set(auditWrittenKey, true);
  return result;
}

/** Appends the outcome rows in order; whether any was written. */
async function appendRows(
  app: AppContext,
  ctx: HandlerContext,
  call: ReturnType<typeof callInfo>,
  tx: Tx,
  described: AuditedOutcomes,
): Promise<boolean> {
  let written = false;
  const rows: readonly AuditedOutcome[] = Array.isArray(described) ? described : [described as AuditedOutcome];
  for (const { type, principal, ...rest } of rows) {
    const event = type ?? rpcEvent(ctx);
    if (!event) throw new TypeError(`${call.service}/${call.method} has no audit event to record`);
    const row: AuditEventInput = { type: event, success: true, ...rest };
    await app.audit.record(tx, principal ? overlay(call, { principal }) : call, row);
    written = true;
  }
  return written;
}

/** Runs a read in one transaction; the audit interceptor records it after the call as `describe` says. */
export async function withReadTx<T>(
  app: AppContext,
  ctx: HandlerContext,
  fn: (tx: Tx) => Promise<T>,
  describe: Described<ReadOutcome, T>,
  scope?: TxScope,
): Promise<T> {
  const as = scopeOf(ctx, scope);
  let result: T;
  try {
    result = await inTx(
      app.db.sql,
      as,
      fn,
      overlay(txOptions(ctx), { oneStatement: scope?.singleStatement, genericPlans: scope?.genericPlans }),
    );
  } catch (err) {
    if (!isAfterFinalStatement(err)) throw err;
    // The read needed a second statement after all (a cached key found stale, or evicted meanwhile):
    // its first transaction committed without running it; run the read again as an ordinary one.
    app.logger.warn({ procedure: `${ctx.service.typeName}/${ctx.method.name}` }, "one-statement read re-run");
    result = await inTx(app.db.sql, as, fn, overlay(txOptions(ctx), { genericPlans: scope?.genericPlans }));
  }
  ctx.values.set(readOutcomeKey, typeof describe === "function" ? () => describe(result) : () => describe);
  return result;
}

/**
 * For work that audits each of its own transactions (the policy run, which the scheduler shares):
 * the call needs no outcome row. Everything else goes through withAuditedTx.
 */
export function auditedByItsTransactions(ctx: HandlerContext): void {
  ctx.values.set(auditWrittenKey, true);
}

/** The outcome row's description for a call whose read is not one withReadTx (a stream, a batch). */
export function describeRead(ctx: HandlerContext, describe: () => ReadOutcome): void {
  ctx.values.set(readOutcomeKey, describe);
}
