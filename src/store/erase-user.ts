/**
 * Erasing an account's memory data (DeleteUser, DESIGN.md §5 crypto-shredding): every owner of the
 * account — its own memories and each end user's — loses its wrapped data key FIRST, then the rows go.
 *
 * Backups: a backup taken before the erase still holds the wrapped keys in its owners rows. They stay
 * unreadable only once the master key that wrapped them is gone, so operators rotate the master key
 * (keys add/promote, rewrap, disable, then drop the old key) after their backup retention window.
 */
import type { OwnerKeys } from "./owner-keys.js";
import type { Tx } from "./tx.js";

export interface EraseResult {
  keys: number;
  memories: number;
  versions: number;
  terms: number;
  clusters: number;
}

/**
 * Runs inside the caller's transaction (DeleteUser: admin context, with its audit row). Counts only,
 * no content. Also drops the cached keys from `cache` (this server's cache); other replicas' caches
 * can only reach rows that no longer exist. A per-account sweep (not owner-led): the admin path only.
 */
export async function eraseUserData(tx: Tx, cache: Pick<OwnerKeys, "forget">, userId: string): Promise<EraseResult> {
  const count = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? 0;
  const owners = await tx<{ id: string; had_key: boolean }[]>`
    update owners o set wrapped_key = null, master_key_id = null, updated_at = now()
    from (select id, wrapped_key is not null as had_key from owners where account_id = ${userId} for update) before
    where o.id = before.id
    returning o.id, before.had_key`;
  for (const o of owners) cache.forget(o.id);
  const terms = await count(
    tx`with d as (delete from memory_terms where account_id = ${userId} returning 1) select count(*)::int as n from d`,
  );
  const versions = await count(
    tx`with d as (delete from memory_versions where account_id = ${userId} returning 1)
       select count(*)::int as n from d`,
  );
  const memories = await count(
    tx`with d as (delete from memories where account_id = ${userId} returning 1) select count(*)::int as n from d`,
  );
  const clusters = await count(
    tx`with d as (delete from memory_clusters where account_id = ${userId} returning 1)
       select count(*)::int as n from d`,
  );
  await tx`delete from memory_stats where account_id = ${userId}`;
  await tx`delete from owners where account_id = ${userId}`;
  for (const o of owners) cache.forget(o.id);
  return { keys: owners.filter((o) => o.had_key).length, memories, versions, terms, clusters };
}
