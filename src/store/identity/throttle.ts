/**
 * Limiter state in Postgres, so limits hold across replicas. Both statements are single
 * autocommit upserts on non-tenant tables (no RLS context needed): one round trip per check.
 */
import type { Sql } from "../database.js";
import { admitted, type TxOptions } from "../admission.js";

export interface WindowHit {
  hits: number;
  /** Seconds until the current window resets. */
  resetInSeconds: number;
}

/** Counts n hits in key's fixed window (atomic under concurrency: the upsert takes a row lock). */
export async function hitWindow(sql: Sql, key: string, windowSeconds: number, n = 1): Promise<WindowHit> {
  const [row] = await sql<{ hits: number; reset_in: number }[]>`
    insert into rate_limits as r (key, window_start, hits) values (${key}, now(), ${n})
    on conflict (key) do update set
      hits = case when r.window_start <= now() - make_interval(secs => ${windowSeconds})
                  then ${n} else r.hits + ${n} end,
      window_start = case when r.window_start <= now() - make_interval(secs => ${windowSeconds})
                          then now() else r.window_start end
    returning hits,
      extract(epoch from (window_start + make_interval(secs => ${windowSeconds}) - now()))::float8 as reset_in`;
  return { hits: row!.hits, resetInSeconds: Math.max(1, Math.ceil(row!.reset_in)) };
}

export interface LoginLimits {
  maxFailures: number;
  windowSeconds: number;
  lockoutSeconds: number;
  maxLockoutSeconds: number;
}

export type Reservation = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Claims one login attempt for key *before* the password is checked. The attempt is counted as a
 * failure up front, atomically (row lock), so parallel guesses cannot all slip past the limit while
 * their bcrypt compares run: of any number of concurrent attempts at most maxFailures are let
 * through per window. A success refunds its claim (refundLoginAttempt).
 */
export async function reserveLoginAttempt(
  sql: Sql,
  key: string,
  p: LoginLimits,
  opts?: TxOptions,
): Promise<Reservation> {
  return (await admitted(sql, undefined, opts, () =>
    sql.begin(async (tx) => {
      await tx`insert into login_throttle (key) values (${key}) on conflict (key) do nothing`;
      const [row] = await tx<{ failures: number; window_expired: boolean; locked_left: number | null }[]>`
      select failures, window_start <= now() - make_interval(secs => ${p.windowSeconds}) as window_expired,
        case when locked_until > now() then extract(epoch from (locked_until - now()))::float8 end as locked_left
      from login_throttle where key = ${key} for update`;
      if (row!.locked_left !== null)
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(row!.locked_left)) };
      const failures = row!.window_expired ? 0 : row!.failures;
      // The budget is spent by attempts still in flight: they settle (and lock) within a second or so.
      if (failures >= p.maxFailures) return { allowed: false, retryAfterSeconds: 1 };
      await tx`
      update login_throttle set failures = ${failures + 1},
        window_start = case when ${row!.window_expired} then now() else window_start end
      where key = ${key}`;
      return { allowed: true };
    }),
  )) as Reservation;
}

export interface FailureOutcome {
  /** Set when this failure triggered a lock: its duration in seconds. */
  lockedForSeconds: number | null;
}

/**
 * Settles a failed attempt (already counted by reserveLoginAttempt). Once maxFailures are spent
 * within the window the key is locked for lockoutSeconds * 2^(previous locks), capped: growing
 * back-off for persistent guessing.
 */
export async function settleLoginFailure(
  sql: Sql,
  key: string,
  p: LoginLimits,
  opts?: TxOptions,
): Promise<FailureOutcome> {
  return (await admitted(sql, undefined, opts, () =>
    sql.begin(async (tx) => {
      const [row] = await tx<{ failures: number; lockouts: number; locked: boolean }[]>`
      select failures, lockouts, coalesce(locked_until > now(), false) as locked
      from login_throttle where key = ${key} for update`;
      if (!row || row.locked || row.failures < p.maxFailures) return { lockedForSeconds: null };
      const lockSeconds = Math.min(p.maxLockoutSeconds, p.lockoutSeconds * 2 ** row.lockouts);
      await tx`
      update login_throttle set failures = 0, lockouts = lockouts + 1, window_start = now(),
        locked_until = now() + make_interval(secs => ${lockSeconds})
      where key = ${key}`;
      return { lockedForSeconds: lockSeconds };
    }),
  )) as FailureOutcome;
}

/**
 * Gives back a successful attempt's claim. For the account, a success also forgives its earlier
 * failures (clearAll); for an address only this attempt is refunded, so successes never count
 * against a shared address but do not wipe others' failures either.
 */
export async function refundLoginAttempt(sql: Sql, key: string, clearAll: boolean): Promise<void> {
  await sql`
    update login_throttle set failures = case when ${clearAll} then 0 else greatest(failures - 1, 0) end
    where key = ${key}`;
}
