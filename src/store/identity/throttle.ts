/**
 * Limiter state in Postgres, so limits hold across replicas. Every check is one autocommit statement
 * on a non-tenant table (no RLS context needed): one round trip, and a row lock held only while the
 * statement runs. That is what keeps a storm of logins for one account cheap for everyone else: as
 * transactions (lock, decide, update: three round trips), fifty concurrent claims queued on the one
 * row while holding transaction slots, and other callers' transactions waited behind them.
 */
import type { Sql } from "../database.js";

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
export async function reserveLoginAttempt(sql: Sql, key: string, p: LoginLimits): Promise<Reservation> {
  // One statement: the claim is decided under the row lock the upsert takes and releases at once.
  const [claimed] = await sql<{ claimed: boolean }[]>`
    insert into login_throttle as t (key, failures, window_start) values (${key}, 1, now())
    on conflict (key) do update set
      failures = case when t.window_start <= now() - make_interval(secs => ${p.windowSeconds})
                      then 1 else t.failures + 1 end,
      window_start = case when t.window_start <= now() - make_interval(secs => ${p.windowSeconds})
                          then now() else t.window_start end
    where coalesce(t.locked_until <= now(), true)
      and (case when t.window_start <= now() - make_interval(secs => ${p.windowSeconds})
                then 0 else t.failures end) < ${p.maxFailures}
    returning true as claimed`;
  if (claimed) return { allowed: true };
  // Refused (locked, or the budget is spent by attempts still in flight, which settle within a
  // second or so): a second read only for the retry hint; the refusal itself was atomic.
  const [row] = await sql<{ locked_left: number | null }[]>`
    select case when locked_until > now() then extract(epoch from (locked_until - now()))::float8 end as locked_left
    from login_throttle where key = ${key}`;
  const lockedLeft = row?.locked_left ?? null;
  return { allowed: false, retryAfterSeconds: lockedLeft === null ? 1 : Math.max(1, Math.ceil(lockedLeft)) };
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
export async function settleLoginFailure(sql: Sql, key: string, p: LoginLimits): Promise<FailureOutcome> {
  const [row] = await sql<{ lockouts: number }[]>`
    update login_throttle set failures = 0, lockouts = lockouts + 1, window_start = now(),
      locked_until = now() + make_interval(secs => least(${p.maxLockoutSeconds}::float8,
                                                         ${p.lockoutSeconds}::float8 * power(2, lockouts)))
    where key = ${key} and coalesce(locked_until <= now(), true) and failures >= ${p.maxFailures}
    returning lockouts`;
  if (!row) return { lockedForSeconds: null };
  return { lockedForSeconds: Math.min(p.maxLockoutSeconds, p.lockoutSeconds * 2 ** (row.lockouts - 1)) };
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
