-- End users, and owner-led tenant tables (DESIGN.md §9 and §11).
--
-- An owner is whose memories a row holds and whose data key encrypts them: an account's own memories
-- belong to its "self" owner (owners.id = the account id, so existing data keeps its key, its
-- associated data and its rows), and each end user of the account is an owner of its own
-- (owners.id = UUIDv5 of the account id and the keyed hash of the backend's external id, so the id is
-- computed, never looked up). owner_id is the distribution key: every primary key, unique constraint,
-- foreign key and index of a tenant table leads with it, and every statement names it.

create function app_owner_id() returns uuid language sql stable as
  $$ select nullif(current_setting('app.owner_id', true), '')::uuid $$;

-- A backend's identity: API keys only, never a password login.
alter table users add column service_account boolean not null default false;
-- A service account may have no email: only given addresses must be unique.
drop index users_email_key;
create unique index users_email_key on users (lower(email)) where email <> '';

create table owners (
  id uuid primary key,
  account_id uuid not null references users (id) on delete cascade,
  -- The backend's external id, encrypted under the account's data key (AD = this id); null for the
  -- account's self owner.
  external_id_ct bytea,
  -- The owner's data keyset, wrapped by the master keyset (AD = this id), or in clear when
  -- master_key_id is null (no keyset configured). Null while an account that never wrote has none
  -- yet, and once destroyed (erasure).
  wrapped_key bytea,
  master_key_id bigint,
  -- Bumped by RevokeEndUserTokens: delegated tokens carry the version they were issued under.
  token_version integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- ListEndUsers: the account's end users in creation order (a per-account listing; with a distributed
-- store this is the one multi-shard read, and only on the management path).
create index owners_account_end_users_idx on owners (account_id, created_at, id) where external_id_ct is not null;

-- Every account gets its self owner, carrying the data key it already had.
insert into owners (id, account_id, wrapped_key, master_key_id, created_at, updated_at)
  select u.id, u.id, k.wrapped_key, k.master_key_id, coalesce(k.created_at, now()), coalesce(k.updated_at, now())
  from users u left join user_keys k on k.user_id = u.id;
drop table user_keys;

-- The statement-level counters go: counters are kept by the write path (src/store/memory-stats.ts).
drop trigger memories_stats_insert on memories;
drop trigger memories_stats_delete on memories;
drop trigger memories_stats_update on memories;
drop function memories_stats_insert();
drop function memories_stats_delete();
drop function memories_stats_update();

-- memories
drop policy memories_tenant on memories;
alter table memories rename column user_id to account_id;
alter table memories add column owner_id uuid;
update memories set owner_id = account_id;
alter table memories alter column owner_id set not null;
alter table memory_versions drop constraint memory_versions_memory_id_fkey;
alter table memory_terms drop constraint memory_terms_memory_id_fkey;
alter table memories drop constraint memories_pkey;
alter table memories add primary key (owner_id, id);
alter table memories add foreign key (owner_id) references owners (id) on delete cascade;
drop index memories_user_created_idx;
drop index memories_user_importance_updated_idx;
drop index memories_user_thread_idx;
drop index memories_user_topic_idx;
drop index memories_user_tier_idx;
drop index memories_meta_idx;
drop index memories_idempotency_key;
drop index memories_thread_summary_key;
create index memories_owner_created_idx on memories (owner_id, created_at desc, id desc);
create index memories_owner_importance_updated_idx on memories (owner_id, importance, updated_at desc);
create index memories_owner_thread_idx on memories (owner_id, thread_id, updated_at desc);
create index memories_owner_topic_idx on memories (owner_id, topic_hash);
create index memories_owner_tier_idx on memories (owner_id, tier, created_at);
create index memories_owner_meta_idx on memories using gin (meta_hashes);
create unique index memories_idempotency_key on memories (owner_id, idempotency_key_hash)
  where idempotency_key_hash is not null;
create unique index memories_thread_summary_key on memories (owner_id, thread_id) where is_summary;
-- The policy job walks every account's memories by tier and age.
create index memories_account_idx on memories (account_id);

-- memory_versions
drop policy memory_versions_tenant on memory_versions;
alter table memory_versions rename column user_id to account_id;
alter table memory_versions add column owner_id uuid;
update memory_versions v set owner_id = m.owner_id from memories m where m.id = v.memory_id;
alter table memory_versions alter column owner_id set not null;
alter table memory_versions drop constraint memory_versions_pkey;
alter table memory_versions add primary key (owner_id, memory_id, version);
alter table memory_versions add foreign key (owner_id, memory_id) references memories (owner_id, id) on delete cascade;
drop index memory_versions_user_idx;

-- memory_terms
drop policy memory_terms_tenant on memory_terms;
alter table memory_terms rename column user_id to account_id;
alter table memory_terms add column owner_id uuid;
update memory_terms t set owner_id = m.owner_id from memories m where m.id = t.memory_id;
alter table memory_terms alter column owner_id set not null;
alter table memory_terms drop constraint memory_terms_pkey;
alter table memory_terms add primary key (owner_id, memory_id, term_hash);
alter table memory_terms add foreign key (owner_id, memory_id) references memories (owner_id, id) on delete cascade;
drop index memory_terms_lookup_idx;
create index memory_terms_lookup_idx on memory_terms (owner_id, term_hash) include (memory_id, tf, doc_len);

-- memory_stats: a few counter rows per owner (8 shards by memory id), rebuilt from the rows.
drop table memory_stats;
create or replace function memory_stats_shard(id uuid) returns smallint language sql immutable as
  $$ select (hashtext(id::text) & 7)::smallint $$;
create table memory_stats (
  owner_id uuid not null references owners (id) on delete cascade,
  shard smallint not null,
  account_id uuid not null,
  doc_count bigint not null default 0,
  total_len bigint not null default 0,
  primary key (owner_id, shard)
);
insert into memory_stats (owner_id, shard, account_id, doc_count, total_len)
  select owner_id, memory_stats_shard(id), account_id, count(*), sum(doc_len) from memories group by 1, 2, 3;

-- memory_clusters
drop policy memory_clusters_tenant on memory_clusters;
alter table memory_clusters rename column user_id to account_id;
alter table memory_clusters add column owner_id uuid;
update memory_clusters set owner_id = account_id;
alter table memory_clusters alter column owner_id set not null;
alter table memory_clusters drop constraint memory_clusters_pkey;
alter table memory_clusters add primary key (owner_id, id);
alter table memory_clusters add foreign key (owner_id) references owners (id) on delete cascade;
drop index memory_clusters_user_idx;
create index memory_clusters_owner_idx on memory_clusters (owner_id, memory_count desc);

-- Row-level security. A call runs with app.user_id = its account and, when it acts for one owner (an
-- end user, or a delegated token's pin), app.owner_id = that owner: rows of every other owner of the
-- account are then invisible even to a buggy query.
alter table owners enable row level security;
alter table owners force row level security;
create policy owners_tenant on owners
  using ((account_id = (select app_user_id()) and ((select app_owner_id()) is null or id = (select app_owner_id())))
         or (select app_is_admin()) or (select app_is_system()))
  with check ((account_id = (select app_user_id()) and ((select app_owner_id()) is null or id = (select app_owner_id())))
         or (select app_is_admin()) or (select app_is_system()));

alter table memory_stats enable row level security;
alter table memory_stats force row level security;

do $$
declare t text;
begin
  foreach t in array array['memories', 'memory_versions', 'memory_terms', 'memory_stats', 'memory_clusters'] loop
    execute format($p$
      create policy %1$s_tenant on %1$s
        using ((account_id = (select app_user_id())
                and ((select app_owner_id()) is null or owner_id = (select app_owner_id())))
               or (select app_is_admin()) or (select app_is_system()))
        with check ((account_id = (select app_user_id())
                and ((select app_owner_id()) is null or owner_id = (select app_owner_id())))
               or (select app_is_admin()) or (select app_is_system()))$p$, t);
  end loop;
end $$;

grant select, insert, update, delete on owners, memory_stats to memoric_app;
