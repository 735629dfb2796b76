-- Audit trail (DESIGN §7): hash-chained, append-only rows in N independent chains ("shards").
--
-- Write path (src/store/audit-log.ts), inside the caller's transaction, as memoric_app, in ONE
-- round trip through audit_append() below:
--   select seq, hash from audit_heads where shard = $1 for update   -- per-shard row lock, held to commit
--   insert into audit_log (... seq = head.seq + 1, prev_hash = head.hash, hash = sha256(prev ‖ canonical))
--   update audit_heads set seq, hash
-- The head lock makes each shard's sequence gap-free and fork-free (unique (shard, seq) is the
-- backstop); 16 shards instead of one global head keep unrelated writers from queueing on one row.
--
-- Tamper resistance: memoric_app may only INSERT/SELECT audit rows and checkpoints. Triggers reject
-- UPDATE, DELETE and TRUNCATE for every role (the owner included). The one exception is DELETE while
-- the transaction-local setting app.audit_retention = 'on', which only the retention job sets (and
-- memoric_app could not use: it has no DELETE privilege). A superuser can still disable triggers;
-- that is what the hash chain and the signed checkpoints detect.

create table audit_log (
  id uuid primary key,
  shard integer not null check (shard >= 0),
  seq bigint not null check (seq >= 1),
  -- Millisecond precision: exactly what a JS Date holds, so the hashed value round-trips.
  time timestamptz(3) not null,
  event_type text not null,
  severity text not null check (severity in ('debug', 'info', 'warning', 'error', 'critical')),
  -- text, not uuid: the stored string must read back byte-identical for the hash to verify.
  principal_id text,
  principal_type text not null,
  roles text[] not null,
  service text,
  method text,
  resource_type text,
  resource_id text,
  success boolean not null,
  code text not null,
  error_message text,
  client_address text,
  user_agent text,
  request_id text,
  session_id text,
  details jsonb not null,
  prev_hash text not null,
  hash text not null,
  constraint audit_log_shard_seq_key unique (shard, seq)
);
-- Newest-first keyset paging, and the common filters.
create index audit_log_time_idx on audit_log (time desc, id desc);
create index audit_log_principal_idx on audit_log (principal_id, time desc);
create index audit_log_event_idx on audit_log (event_type, time desc);
create index audit_log_resource_idx on audit_log (resource_type, resource_id, time desc);

-- One row per shard: its last seq and hash (seq 0 and the genesis hash = empty chain). Seeded for
-- every shard count the config allows (1..1024) so the hot path never needs an upsert.
create table audit_heads (
  shard integer primary key check (shard >= 0),
  seq bigint not null check (seq >= 0),
  hash text not null
);
insert into audit_heads (shard, seq, hash)
  select g, 0, repeat('0', 64) from generate_series(0, 1023) as g;

-- Signed snapshots of every shard head (HMAC key from config, never stored here): a deleted tail
-- or a rewritten chain no longer matches the signed heads. pruned_through records, per shard, the
-- last row retention removed (cumulative), so verification can start where the chain now begins.
create table audit_checkpoints (
  id bigserial primary key,
  time timestamptz(3) not null,
  heads jsonb not null,
  pruned_through jsonb,
  signature text not null
);

-- Appends one row to a shard. The client sends the row's canonical form (src/domain/audit-chain.ts)
-- split around the seq value, which only this function knows: canonical = head ‖ seq ‖ tail. Doing
-- the lock, hash, insert and head update server-side means one round trip and the shortest possible
-- head-lock hold (until the caller's commit). Runs as the caller (memoric_app), under its privileges
-- and RLS. The verifier recomputes every hash in JS, so a client sending a canonical form that does
-- not match the columns produces a row that fails verification: it cannot forge a valid one.
create function audit_append(
  p_shard integer, p_id uuid, p_time timestamptz, p_event_type text, p_severity text, p_principal_id text,
  p_principal_type text, p_roles text[], p_service text, p_method text, p_resource_type text, p_resource_id text,
  p_success boolean, p_code text, p_error_message text, p_client_address text, p_user_agent text, p_request_id text,
  p_session_id text, p_details jsonb, p_canonical_head text, p_canonical_tail text
) returns table (seq bigint, prev_hash text, hash text) language plpgsql as $$
declare
  head_seq bigint;
  head_hash text;
  new_hash text;
begin
  select h.seq, h.hash into head_seq, head_hash from audit_heads h where h.shard = p_shard for update;
  if not found then
    -- Only for shard numbers beyond the seeded range (never with a valid config).
    insert into audit_heads as h (shard, seq, hash) values (p_shard, 0, repeat('0', 64)) on conflict do nothing;
    select h.seq, h.hash into head_seq, head_hash from audit_heads h where h.shard = p_shard for update;
  end if;
  new_hash := encode(sha256(decode(head_hash, 'hex')
    || convert_to(p_canonical_head || (head_seq + 1)::text || p_canonical_tail, 'UTF8')), 'hex');
  insert into audit_log (id, shard, seq, time, event_type, severity, principal_id, principal_type, roles, service,
    method, resource_type, resource_id, success, code, error_message, client_address, user_agent, request_id,
    session_id, details, prev_hash, hash)
  values (p_id, p_shard, head_seq + 1, p_time, p_event_type, p_severity, p_principal_id, p_principal_type, p_roles,
    p_service, p_method, p_resource_type, p_resource_id, p_success, p_code, p_error_message, p_client_address,
    p_user_agent, p_request_id, p_session_id, p_details, head_hash, new_hash);
  update audit_heads h set seq = head_seq + 1, hash = new_hash where h.shard = p_shard;
  return query select head_seq + 1, head_hash, new_hash;
end
$$;

create function audit_reject_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and coalesce(current_setting('app.audit_retention', true), '') = 'on' then
    return old;
  end if;
  raise exception '% is append-only: % rejected', tg_table_name, tg_op using errcode = '42501';
end
$$;

create trigger audit_log_append_only before update or delete on audit_log
  for each row execute function audit_reject_change();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_reject_change();
create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints
  for each row execute function audit_reject_change();
create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
  for each statement execute function audit_reject_change();

-- Reading the trail is for admins (and the system jobs); anyone in the service may append.
alter table audit_log enable row level security;
alter table audit_log force row level security;
create policy audit_log_read on audit_log for select using (app_is_admin() or app_is_system());
create policy audit_log_append on audit_log for insert with check (true);
-- Retention runs as the owner, which FORCE subjects to RLS unless it is a superuser: without this
-- policy its DELETE would silently match nothing. memoric_app has no DELETE privilege at all.
create policy audit_log_retention on audit_log for delete
  using (app_is_system() and coalesce(current_setting('app.audit_retention', true), '') = 'on');

alter table audit_checkpoints enable row level security;
alter table audit_checkpoints force row level security;
create policy audit_checkpoints_read on audit_checkpoints for select using (app_is_admin() or app_is_system());
create policy audit_checkpoints_write on audit_checkpoints for insert with check (app_is_system());

grant select, insert on audit_log, audit_checkpoints to memoric_app;
grant select, insert, update on audit_heads to memoric_app;
grant usage on sequence audit_checkpoints_id_seq to memoric_app;
grant execute on function audit_append to memoric_app;
