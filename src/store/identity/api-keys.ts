/** API keys: stored only as a hash, scoped, expiring, revocable. */
import type { Tx } from "../tx.js";

export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = "id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at";
/** last_used_at is refreshed at most this often, so authentication is not a write per call. */
const LAST_USED_RESOLUTION_SECONDS = 60;

export async function insertApiKey(
  tx: Tx,
  k: { userId: string; name: string; prefix: string; hash: string; scopes: string[]; expiresAt: Date | null },
): Promise<ApiKeyRow> {
  const [row] = await tx<ApiKeyRow[]>`
    insert into api_keys (user_id, name, prefix, key_hash, scopes, expires_at)
    values (${k.userId}, ${k.name}, ${k.prefix}, ${k.hash}, ${k.scopes}, ${k.expiresAt})
    returning ${tx.unsafe(COLUMNS)}`;
  return row!;
}

export async function listApiKeys(tx: Tx, userId: string): Promise<ApiKeyRow[]> {
  return tx<
    ApiKeyRow[]
  >`select ${tx.unsafe(COLUMNS)} from api_keys where user_id = ${userId} order by created_at desc, id`;
}

export async function revokeApiKey(tx: Tx, userId: string, id: string): Promise<boolean> {
  const rows = await tx`
    update api_keys set revoked_at = coalesce(revoked_at, now())
    where id = ${id} and user_id = ${userId} returning id`;
  return rows.length > 0;
}

export async function revokeAllApiKeys(tx: Tx, userId: string): Promise<number> {
  const rows =
    await tx`update api_keys set revoked_at = now() where user_id = ${userId} and revoked_at is null returning id`;
  return rows.length;
}

export interface ApiKeyAuth {
  id: string;
  user_id: string;
  scopes: string[];
  username: string;
  roles: string[];
}

/** A usable key (not revoked, not expired, owner active), touching last_used_at coarsely. */
export async function authenticateApiKey(tx: Tx, hash: string): Promise<ApiKeyAuth | undefined> {
  const [row] = await tx<ApiKeyAuth[]>`
    select k.id, k.user_id, k.scopes, u.username, u.roles
    from api_keys k join users u on u.id = k.user_id
    where k.key_hash = ${hash} and k.revoked_at is null
      and (k.expires_at is null or k.expires_at > now()) and u.active`;
  if (row) {
    await tx`
      update api_keys set last_used_at = now()
      where id = ${row.id}
        and (last_used_at is null or last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS}))`;
  }
  return row;
}
