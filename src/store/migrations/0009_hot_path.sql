-- The hot write path (DESIGN.md §11).
--
-- memory_terms loses its foreign key to memories. PostgreSQL checks such a key once per inserted
-- term row, with a query on memories; on a table under forced row-level security each check cost
-- 50-90 us here and grew with the table (a batch of 100 memories, ~1,500 term rows: 55 ms of
-- checks on an empty table, 141 ms after 1,000 rows; the same inserts without the key: 16 ms,
-- flat). That was most of a BatchCreateMemories call and ~1 ms of every CreateMemory.
-- Integrity is kept by the write path instead: terms are only inserted by the statement that
-- inserts their memory (store/memory-write.ts: `where t.id in (select id from m)`), and every
-- statement deleting memories deletes their terms with them (store/memory-write.ts dropTerms).
alter table memory_terms drop constraint memory_terms_owner_id_memory_id_fkey;

-- Search's postings carry account_id too, so the row-level security filter (account_id =
-- app_user_id()) is answered from the index: an index-only scan instead of one heap fetch per
-- posting. EXPLAIN (ANALYZE, BUFFERS) at 100k memories for one owner, a 3-word query (2,540
-- postings): Index Scan 3.3 ms, shared hit=2472 -> Index Only Scan 0.5 ms, Heap Fetches: 0
-- (after vacuum; autovacuum keeps the visibility map of this insert-mostly table).
drop index memory_terms_lookup_idx;
create index memory_terms_lookup_idx on memory_terms (owner_id, term_hash) include (memory_id, tf, doc_len, account_id);

-- 64 counter shards per owner instead of 8. Every create of one owner upserts the shard of its
-- memory and holds that row until commit: 64 concurrent creates of one account mostly waited on each
-- other (pg_stat_activity sampled during CreateMemory at 64 streams: 1,293 samples of the insert in
-- Lock:transactionid against 280 for the audit append). Counters are only ever summed per owner, so
-- rows counted under the old function stay correct where they are (a shard may go negative).
create or replace function memory_stats_shard(id uuid) returns smallint language sql immutable as
  $$ select (hashtext(id::text) & 63)::smallint $$;
