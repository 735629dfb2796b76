/**
 * Sessions are refresh-token families. A refresh token is opaque and stored only as a hash; using
 * it marks it used and issues the next one of the family. Presenting a used token again is reuse:
 * the whole session is revoked (RFC 6819 / OAuth 2.0 BCP refresh-token rotation).
 */
import type { Tx } from "../tx.js";

export async function createSession(tx: Tx, userId: string, ttlSeconds: number): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    insert into sessions (user_id, expires_at)
    values (${userId}, now() + make_interval(secs => ${ttlSeconds}))
    returning id`;
  return row!.id;
}

export async function insertRefreshToken(tx: Tx, sessionId: string, userId: string, tokenHash: string): Promise<void> {
  await tx`insert into refresh_tokens (session_id, user_id, token_hash) values (${sessionId}, ${userId}, ${tokenHash})`;
}

export type RotationResult =
  | { kind: "rotated"; sessionId: string; userId: string }
  | { kind: "reused"; sessionId: string; userId: string }
  | { kind: "invalid" };

/**
 * Spends a refresh token atomically: of two concurrent calls with one token exactly one gets
 * "rotated" (the update's row lock serialises them; the loser sees used_at set).
 */
export async function spendRefreshToken(tx: Tx, tokenHash: string): Promise<RotationResult> {
  const [spent] = await tx<{ session_id: string; user_id: string; live: boolean }[]>`
    update refresh_tokens t set used_at = now()
    from sessions s
    where t.token_hash = ${tokenHash} and t.used_at is null and s.id = t.session_id
    returning t.session_id, t.user_id, (s.revoked_at is null and s.expires_at > now()) as live`;
  if (spent) {
    return spent.live ? { kind: "rotated", sessionId: spent.session_id, userId: spent.user_id } : { kind: "invalid" };
  }
  const [used] = await tx<{ session_id: string; user_id: string }[]>`
    select session_id, user_id from refresh_tokens where token_hash = ${tokenHash}`;
  return used ? { kind: "reused", sessionId: used.session_id, userId: used.user_id } : { kind: "invalid" };
}

export async function findSessionByRefreshToken(
  tx: Tx,
  tokenHash: string,
): Promise<{ sessionId: string; userId: string } | undefined> {
  const [row] = await tx<{ session_id: string; user_id: string }[]>`
    select session_id, user_id from refresh_tokens where token_hash = ${tokenHash}`;
  return row ? { sessionId: row.session_id, userId: row.user_id } : undefined;
}

export async function revokeSession(tx: Tx, sessionId: string, reason: string): Promise<number> {
  const rows = await tx`
    update sessions set revoked_at = now(), revoked_reason = ${reason}
    where id = ${sessionId} and revoked_at is null returning id`;
  return rows.length;
}

/** Revokes every live session of a user, optionally sparing one (the caller's, on password change). */
export async function revokeUserSessions(tx: Tx, userId: string, reason: string, except?: string): Promise<number> {
  const rows = await tx`
    update sessions set revoked_at = now(), revoked_reason = ${reason}
    where user_id = ${userId} and revoked_at is null and id <> ${except ?? "00000000-0000-0000-0000-000000000000"}
    returning id`;
  return rows.length;
}
