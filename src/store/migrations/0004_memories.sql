-- Memories on an encrypted store (DESIGN.md §4-§6).
--
-- What the database sees in clear, by design (documented leaks):
--   * identifiers chosen by the caller: namespace, agent_id, thread_id (clients should use opaque ids);
--   * role, importance, tier, flags, version, timestamps, and sizes (content_chars, doc_len; the
--     ciphertext length reveals the size anyway);
--   * blind-index values (keyed HMACs under a per-user key): memory_terms.term_hash, topic_hash,
--     category_hash, meta_hashes. They reveal equality and frequency of terms, topics, categories and
--     metadata values WITHIN one user's memories, never the values, and nothing across users.
-- Everything derived from content (topic, category, entities) and the metadata itself lives only
-- inside metadata_ct; content only inside content_ct. *_ct columns hold Tink AES-256-GCM
-- ciphertexts (5-byte key-id prefix) when encrypted = true, plaintext UTF-8 when false (a deployment
-- run with MEMORIC_ENCRYPTION=off; `memoric keys rewrap` upgrades such rows).

-- One data keyset per user, wrapped by the master keyset (envelope encryption). Deleting this row
-- is the crypto-shredding step of erasing a user.
create table user_keys (
  user_id uuid primary key references users (id) on delete cascade,
  -- Tink ciphertext of the user's data keyset under the master keyset (AD binds it to user_id), or
  -- the keyset in clear when master_key_id is null (encryption off and no master keyset configured).
  wrapped_key bytea not null,
  -- Master key id the data key is wrapped under: what `keys rewrap` migrates and `keys disable` checks.
  master_key_id bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table memories (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  namespace text not null default '',
  agent_id text not null default '',
  thread_id text not null default '',
  role smallint not null default 0,
  importance smallint not null check (importance between 1 and 4),
  tier smallint not null default 1 check (tier between 1 and 3),
  -- Blind values of the normalized topic and category, for equality filters and clustering.
  topic_hash bigint,
  category_hash bigint,
  -- Blind values of (top-level metadata key, canonical JSON value), for metadata equality filters.
  meta_hashes bigint[] not null default '{}',
  content_ct bytea not null,
  -- {metadata, topic, category, entities, derived}: see src/store/memory-rows.ts.
  metadata_ct bytea not null,
  encrypted boolean not null,
  -- Data key id (Tink prefix) of both ciphertexts; null for plaintext rows.
  key_id bigint,
  content_chars integer not null,
  -- BM25 document length (number of indexed tokens).
  doc_len integer not null,
  summarized boolean not null default false,
  is_summary boolean not null default false,
  version integer not null default 1,
  -- HMAC of the caller's idempotency key under the user's index key.
  idempotency_key_hash bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  expires_at timestamptz
);
-- Listing (newest first, keyset pagination), recency ranking per importance class, thread context.
create index memories_user_created_idx on memories (user_id, created_at desc, id desc);
create index memories_user_importance_updated_idx on memories (user_id, importance, updated_at desc);
create index memories_user_thread_idx on memories (user_id, thread_id, updated_at desc);
create index memories_user_topic_idx on memories (user_id, topic_hash);
create index memories_user_tier_idx on memories (user_id, tier, created_at);
create index memories_meta_idx on memories using gin (meta_hashes);
create index memories_expires_idx on memories (expires_at) where expires_at is not null;
create unique index memories_idempotency_key on memories (user_id, idempotency_key_hash) where idempotency_key_hash is not null;
-- At most one policy-written summary per user and thread.
create unique index memories_thread_summary_key on memories (user_id, thread_id) where is_summary;

-- Superseded states of a memory. Ciphertexts are copied as they are: their associated data names
-- the memory id AND version, so a copy is only readable as that very version.
create table memory_versions (
  memory_id uuid not null references memories (id) on delete cascade,
  user_id uuid not null,
  version integer not null,
  content_ct bytea not null,
  metadata_ct bytea not null,
  encrypted boolean not null,
  key_id bigint,
  -- Why this version was superseded: update, trim, summarize.
  reason text not null,
  -- When this version was written (the memory's updated_at at the time).
  created_at timestamptz not null,
  superseded_at timestamptz not null default now(),
  primary key (memory_id, version)
);
create index memory_versions_user_idx on memory_versions (user_id);

-- Blind index: one row per (memory, term HMAC). doc_len is denormalized so BM25 runs as an
-- index-only scan over (user_id, term_hash) without touching memories.
create table memory_terms (
  memory_id uuid not null references memories (id) on delete cascade,
  user_id uuid not null,
  term_hash bigint not null,
  tf integer not null,
  doc_len integer not null,
  primary key (memory_id, term_hash)
);
create index memory_terms_lookup_idx on memory_terms (user_id, term_hash) include (memory_id, tf, doc_len);

-- Per-user corpus statistics for BM25 (N and average document length), kept by triggers. Sharded
-- by memory id so concurrent writers of one user rarely wait on the same counter row.
create table memory_stats (
  user_id uuid not null references users (id) on delete cascade,
  shard smallint not null,
  doc_count bigint not null default 0,
  total_len bigint not null default 0,
  primary key (user_id, shard)
);

create function memory_stats_shard(id uuid) returns smallint language sql immutable as
  $$ select (hashtext(id::text) & 63)::smallint $$;

-- Rows are visited in (user, shard) order so concurrent statements lock counters in one order.
create function memories_stats_insert() returns trigger language plpgsql as $$
declare r record;
begin
  for r in select user_id, memory_stats_shard(id) as shard, count(*) as n, sum(doc_len) as len
             from new_rows group by 1, 2 order by 1, 2 loop
    insert into memory_stats (user_id, shard, doc_count, total_len) values (r.user_id, r.shard, r.n, r.len)
      on conflict (user_id, shard) do update
      set doc_count = memory_stats.doc_count + excluded.doc_count, total_len = memory_stats.total_len + excluded.total_len;
  end loop;
  return null;
end $$;

-- An update, not an upsert: when the user row itself is being deleted (cascade) the counters are
-- gone already and must not be recreated.
create function memories_stats_delete() returns trigger language plpgsql as $$
declare r record;
begin
  for r in select user_id, memory_stats_shard(id) as shard, count(*) as n, sum(doc_len) as len
             from old_rows group by 1, 2 order by 1, 2 loop
    update memory_stats set doc_count = doc_count - r.n, total_len = total_len - r.len
      where user_id = r.user_id and shard = r.shard;
  end loop;
  return null;
end $$;

create function memories_stats_update() returns trigger language plpgsql as $$
declare r record;
begin
  for r in select n.user_id, memory_stats_shard(n.id) as shard, sum(n.doc_len - o.doc_len) as delta
             from new_rows n join old_rows o on o.id = n.id
             where n.doc_len <> o.doc_len group by 1, 2 order by 1, 2 loop
    update memory_stats set total_len = total_len + r.delta where user_id = r.user_id and shard = r.shard;
  end loop;
  return null;
end $$;

create trigger memories_stats_insert after insert on memories
  referencing new table as new_rows for each statement execute function memories_stats_insert();
create trigger memories_stats_delete after delete on memories
  referencing old table as old_rows for each statement execute function memories_stats_delete();
create trigger memories_stats_update after update on memories
  referencing old table as old_rows new table as new_rows for each statement execute function memories_stats_update();

-- Per-user groups of memories by (topic, category); names and summary encrypted in data_ct.
create table memory_clusters (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  topic_hash bigint,
  category_hash bigint,
  memory_count integer not null,
  data_ct bytea not null,
  encrypted boolean not null,
  key_id bigint,
  updated_at timestamptz not null default now()
);
create index memory_clusters_user_idx on memory_clusters (user_id, memory_count desc);

-- One policy runner at a time across replicas: a lease renewed by every batch transaction, whose
-- row lock also serializes batches of competing runners.
create table policy_lease (
  id boolean primary key default true check (id),
  holder uuid,
  expires_at timestamptz not null default '-infinity',
  last_started_at timestamptz,
  last_finished_at timestamptz
);
insert into policy_lease default values;

-- Row-level security, same rules as 0002_identity.sql. The context functions are wrapped in scalar
-- subqueries so Postgres evaluates them once per statement (an InitPlan) instead of once per row:
-- a search reads thousands of memory_terms rows, and per-row current_setting() + uuid parsing
-- cost more than the index scan itself.
alter table user_keys enable row level security;
alter table user_keys force row level security;
create policy user_keys_tenant on user_keys
  using (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()))
  with check (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()));

alter table memories enable row level security;
alter table memories force row level security;
create policy memories_tenant on memories
  using (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()))
  with check (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()));

alter table memory_versions enable row level security;
alter table memory_versions force row level security;
create policy memory_versions_tenant on memory_versions
  using (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()))
  with check (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()));

alter table memory_terms enable row level security;
alter table memory_terms force row level security;
create policy memory_terms_tenant on memory_terms
  using (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()))
  with check (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()));

alter table memory_stats enable row level security;
alter table memory_stats force row level security;
create policy memory_stats_tenant on memory_stats
  using (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()))
  with check (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()));

alter table memory_clusters enable row level security;
alter table memory_clusters force row level security;
create policy memory_clusters_tenant on memory_clusters
  using (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()))
  with check (user_id = (select app_user_id()) or (select app_is_admin()) or (select app_is_system()));

-- The lease belongs to no user: only background jobs and admins touch it.
alter table policy_lease enable row level security;
alter table policy_lease force row level security;
create policy policy_lease_system on policy_lease
  using ((select app_is_admin()) or (select app_is_system()))
  with check ((select app_is_admin()) or (select app_is_system()));

grant select, insert, update, delete on user_keys, memories, memory_versions, memory_terms, memory_stats, memory_clusters to memoric_app;
grant select, update on policy_lease to memoric_app;
