-- Retrieval an agent can trust (DESIGN.md §6, §11: owner-led, every index leads with owner_id).
--   * pinned: a core memory (with CRITICAL importance) that GetContext always includes, as the profile.
--   * superseded_by: the newer memory that replaced this one (CreateMemory supersedes); a superseded
--     memory leaves search and context but stays in history, listing and export. Deleting the newer
--     memory brings the old one back.
--   * terms_hash: a keyed HMAC (under the owner's index key) of the memory's set of index terms, so a
--     new memory with the same normalised terms as a live one is recognised as a duplicate. It reveals
--     no more than memory_terms already does (equality of term sets within one owner). Null until the
--     memory is written or re-indexed (`memoric index rebuild` fills it for older rows).
alter table memories add column pinned boolean not null default false;
alter table memories add column superseded_by uuid;
alter table memories add column terms_hash bytea;
alter table memories add foreign key (owner_id, superseded_by) references memories (owner_id, id)
  on delete set null (superseded_by);
create index memories_owner_pinned_idx on memories (owner_id, updated_at desc) where pinned;
create index memories_owner_superseded_idx on memories (owner_id, superseded_by) where superseded_by is not null;
create index memories_owner_terms_hash_idx on memories (owner_id, terms_hash)
  where terms_hash is not null and superseded_by is null;
