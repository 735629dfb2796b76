/**
 * Erasing a user's memory data (DeleteUser, DESIGN.md §5 crypto-shredding). The wrapped data key
 * goes FIRST: from that statement on, every ciphertext of the user — in this database, its replicas
 * and its backups' memories rows — is unreadable, whatever happens to the row deletions after it.
 *
 * Backups: a backup taken before the erase still holds the wrapped key in its user_keys. It stays
 * unreadable only once the master key that wrapped it is gone, so operators rotate the master key
 * (keys add/promote, rewrap, disable, then drop the old key) after their backup retention window.
 */
import type { Tx } from "./tx.js";
import type { UserKeys } from "./user-keys.js";

export interface EraseResult {
  keys: number;
  memories: number;
  versions: number;
  terms: number;
  clusters: number;
}

/**
 * Runs inside the caller's transaction (DeleteUser: admin context, with its audit row). Counts only,
 * no content. Also drops the cached copy of the key from `cache` (this server's cache); other
 * replicas' caches can only reach rows that no longer exist.
 */
export async function eraseUserData(tx: Tx, cache: Pick<UserKeys, "forget">, userId: string): Promise<EraseResult> {
  cache.forget(userId);
  const count = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? 0;
  const keys = await count(
    tx`with d as (delete from user_keys where user_id = ${userId} returning 1) select count(*)::int as n from d`,
  );
  const terms = await count(
    tx`with d as (delete from memory_terms where user_id = ${userId} returning 1) select count(*)::int as n from d`,
  );
  const versions = await count(
    tx`with d as (delete from memory_versions where user_id = ${userId} returning 1) select count(*)::int as n from d`,
  );
  const memories = await count(
    tx`with d as (delete from memories where user_id = ${userId} returning 1) select count(*)::int as n from d`,
  );
  const clusters = await count(
    tx`with d as (delete from memory_clusters where user_id = ${userId} returning 1) select count(*)::int as n from d`,
  );
  await tx`delete from memory_stats where user_id = ${userId}`;
  cache.forget(userId);
  return { keys, memories, versions, terms, clusters };
}
