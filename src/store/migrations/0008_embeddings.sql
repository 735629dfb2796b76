-- Optional semantic search (DESIGN.md §6 "Vectors"): one embedding per memory, encrypted with the
-- owner's data key (AD: memory_vectors, "vector:<model>", the memory id, the owner), never in clear.
-- Owner-led like every memory table (§11).
--   * state: pending (to embed; the backfill job claims it when next_attempt_at has passed), ready
--     (ciphertext set), failed (attempts exhausted; an update of the memory makes it pending again).
--   * memory_version: the content version embedded, so a slow embedding of old content never lands
--     on newer content.
create table memory_vectors (
  owner_id uuid not null,
  memory_id uuid not null,
  account_id uuid not null,
  memory_version int not null,
  state text not null default 'pending' check (state in ('pending', 'ready', 'failed')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  model text not null,
  dims int not null check (dims > 0),
  ciphertext bytea,
  updated_at timestamptz not null default now(),
  primary key (owner_id, memory_id),
  foreign key (owner_id, memory_id) references memories (owner_id, id) on delete cascade,
  check ((state = 'ready') = (ciphertext is not null))
);
-- The backfill job's queue. Not owner-led: a background walk across owners (like the policy job's),
-- off the hot path; it only holds rows waiting for an embedding.
create index memory_vectors_pending_idx on memory_vectors (next_attempt_at) where state = 'pending';

-- Per owner, the version of its set of ready vectors: every replica compares it with the version of
-- its cached index before a hybrid search. Values come from one sequence, so an owner erased and
-- created again never meets an old version.
create sequence memory_vector_version_seq;
create table memory_vector_versions (
  owner_id uuid primary key references owners (id) on delete cascade,
  account_id uuid not null,
  version bigint not null
);

do $$
declare t text;
begin
  foreach t in array array['memory_vectors', 'memory_vector_versions'] loop
    execute format('alter table %1$s enable row level security', t);
    execute format('alter table %1$s force row level security', t);
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

grant select, insert, update, delete on memory_vectors, memory_vector_versions to memoric_app;
grant usage on sequence memory_vector_version_seq to memoric_app;
