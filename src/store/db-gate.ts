/**
 * Fail fast while the database is known to be down: the health monitor marks the pool's `sql`
 * down after a failed probe and up after a good one; a transaction checks first and answers
 * Unavailable with a `retry-after` (seconds) at once, instead of queueing on a pool that cannot
 * connect until the call's deadline. Keyed by the pool, so servers in one process stay independent.
 */
import { Code, ConnectError } from "@connectrpc/connect";

const down = new WeakMap<object, { retryAfterSeconds: number }>();

export function markDatabaseDown(sql: object, retryAfterSeconds: number): void {
  down.set(sql, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
}

export function markDatabaseUp(sql: object): void {
  down.delete(sql);
}

export function isDatabaseDown(sql: object): boolean {
  return down.has(sql);
}

/** Throws Unavailable (with `retry-after`) while the monitor's last probe of this pool failed. */
export function assertDatabaseUp(sql: object): void {
  const state = down.get(sql);
  if (state === undefined) return;
  const err = new ConnectError("database unavailable, retry later", Code.Unavailable);
  err.metadata.set("retry-after", String(state.retryAfterSeconds));
  throw err;
}
