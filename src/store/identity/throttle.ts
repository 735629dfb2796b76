/**
 * Limiter state in Postgres, so limits hold across replicas. Both statements are single
 * autocommit upserts on non-tenant tables (no RLS context needed): one round trip per check.
 */
import type { Sql } from "../database.js";

export interface WindowHit {
  hits: number;
  /** Seconds until the current window resets. */
  resetInSeconds: number;
}

/** Counts one hit in key's fixed window (atomic under concurrency: the upsert takes a row lock). */
export async function hitWindow(sql: Sql, key: string, windowSeconds: number): Promise<WindowHit> {
  const [row] = await sql<{ hits: number; reset_in: number }[]>`
    insert into rate_limits as r (key, window_start, hits) values (${key}, now(), 1)
    on conflict (key) do update set
      hits = case when r.window_start <= now() - make_interval(secs => ${windowSeconds}) then 1 else r.hits + 1 end,
      window_start = case when r.window_start <= now() - make_interval(secs => ${windowSeconds}) then now() else r.window_start end
    returning hits, extract(epoch from (window_start + make_interval(secs => ${windowSeconds}) - now()))::float8 as reset_in`;
  return { hits: row!.hits, resetInSeconds: Math.max(1, Math.ceil(row!.reset_in)) };
}

/** Seconds left on the longest active lock among keys, or 0 when none is locked. */
export async function lockedFor(sql: Sql, keys: string[]): Promise<number> {
  const [row] = await sql<{ left: number | null }[]>`
    select max(extract(epoch from (locked_until - now())))::float8 as left
    from login_throttle where key = any(${keys}) and locked_until > now()`;
  return row?.left ? Math.max(1, Math.ceil(row.left)) : 0;
}

export interface FailureOutcome {
  /** Set when this failure triggered a lock: its duration in seconds. */
  lockedForSeconds: number | null;
}

/**
 * Records one failed login for key. Reaching maxFailures within the window locks the key for
 * lockoutSeconds * 2^(previous locks), capped: growing back-off for persistent guessing.
 */
export async function recordLoginFailure(
  sql: Sql,
  key: string,
  p: { maxFailures: number; windowSeconds: number; lockoutSeconds: number; maxLockoutSeconds: number },
): Promise<FailureOutcome> {
  return (await sql.begin(async (tx) => {
    // Make the row exist, then lock it: concurrent failures for one key are counted one by one.
    await tx`insert into login_throttle (key) values (${key}) on conflict (key) do nothing`;
    const [prev] = await tx<{ failures: number; lockouts: number; window_expired: boolean }[]>`
      select failures, lockouts, window_start <= now() - make_interval(secs => ${p.windowSeconds}) as window_expired
      from login_throttle where key = ${key} for update`;
    const failures = (prev!.window_expired ? 0 : prev!.failures) + 1;
    if (failures < p.maxFailures) {
      await tx`
        update login_throttle set failures = ${failures},
          window_start = case when ${prev!.window_expired} then now() else window_start end
        where key = ${key}`;
      return { lockedForSeconds: null };
    }
    const lockSeconds = Math.min(p.maxLockoutSeconds, p.lockoutSeconds * 2 ** prev!.lockouts);
    await tx`
      update login_throttle set failures = 0, lockouts = lockouts + 1, window_start = now(),
        locked_until = now() + make_interval(secs => ${lockSeconds})
      where key = ${key}`;
    return { lockedForSeconds: lockSeconds };
  })) as FailureOutcome;
}

/** A successful login clears the account's failure count (never the address's). */
export async function clearLoginFailures(sql: Sql, key: string): Promise<void> {
  await sql`update login_throttle set failures = 0 where key = ${key}`;
}
