-- CreateMemory's duplicate check (store/memory-write.ts insertOne, memory-supersede.ts findDuplicate)
-- asks for the most recent live memory with the new memory's term fingerprint. The index it used
-- stopped at (owner_id, terms_hash), so every create read and sorted all of the owner's live copies
-- of the same text: the cost grew with each repeat of it ("the user prefers dark mode", saved again
-- every session). EXPLAIN (ANALYZE, BUFFERS) with 2,500 live copies: Index Scan rows=2500 + top-N
-- heapsort, shared hit=204, 3.1 ms per create. With the order in the index the scan stops at the
-- first row (Index Only Scan rows=1, shared hit=3, 0.1 ms at 6,500 copies).
drop index memories_owner_terms_hash_idx;
create index memories_owner_terms_hash_idx on memories (owner_id, terms_hash, updated_at desc, id desc)
  where terms_hash is not null and superseded_by is null;
