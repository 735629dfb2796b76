/**
 * BM25 corpus counters per owner (memory_stats: document count and total length, in 64 shards so
 * concurrent writers of one owner rarely wait on one row). Kept by the write path, in the same
 * statement as the change (DESIGN.md §11: no statement-level triggers on hot tables).
 */
import type { Owner } from "./owner.js";
import type { Tx } from "./tx.js";

type Fragment = ReturnType<Tx>;

/**
 * An upsert moving the owner's counters by `rows`: a query yielding (id uuid, len int, n int), where
 * n is +1 for a new memory, -1 for a deleted one, 0 for a rewrite, and len the change of length.
 * Use as a data-modifying CTE (`stats as (${moveStats(…)})`).
 *
 * Counters are only ever summed per owner, so which shard a change lands on does not matter (a shard
 * may go negative). The whole change of a transaction goes to ONE shard, picked by its transaction id:
 * a statement locks one counter row, however many memories it writes (a batch of 1,000 used to lock
 * all 64, so concurrent batches of one owner ran one after another), consecutive transactions land
 * on different rows, and two statements of one transaction lock the same row (no lock-order cycle).
 */
export function moveStats(tx: Tx, owner: Owner, rows: Fragment): Fragment {
  return tx`
    insert into memory_stats (owner_id, shard, account_id, doc_count, total_len)
    select ${owner.ownerId}::uuid, (txid_current() & 63)::smallint, ${owner.accountId}::uuid, sum(r.n), sum(r.len)
    from (${rows}) as r(id, len, n)
    group by 2
    on conflict (owner_id, shard) do update
    set doc_count = memory_stats.doc_count + excluded.doc_count,
      total_len = memory_stats.total_len + excluded.total_len`;
}
