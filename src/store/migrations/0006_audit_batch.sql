-- Batched appends (DESIGN.md §7): the outcome rows of reads and failed calls are queued in the
-- process (store/audit-batch.ts) and appended to one shard per batch, in one autocommit statement:
-- lock the head once, then for each row in order seq = head + 1, prev_hash = the previous row's hash,
-- hash = sha256(prev ‖ canonical), insert; move the head once. p_rows is a JSON array of the rows'
-- fields (as audit_append takes them) plus canonical_head/canonical_tail; the result lists each row's
-- seq, prev_hash and hash in the same order, for the caller to re-check.
create function audit_append_batch(p_shard integer, p_rows jsonb)
returns table (seq bigint, prev_hash text, hash text) language plpgsql as $$
declare
  head_seq bigint;
  head_hash text;
  new_hash text;
  r jsonb;
begin
  select h.seq, h.hash into head_seq, head_hash from audit_heads h where h.shard = p_shard for update;
  if not found then
    insert into audit_heads as h (shard, seq, hash) values (p_shard, 0, repeat('0', 64)) on conflict do nothing;
    select h.seq, h.hash into head_seq, head_hash from audit_heads h where h.shard = p_shard for update;
  end if;
  for r in select value from jsonb_array_elements(p_rows) loop
    new_hash := encode(sha256(decode(head_hash, 'hex')
      || convert_to((r->>'canonical_head') || (head_seq + 1)::text || (r->>'canonical_tail'), 'UTF8')), 'hex');
    insert into audit_log (id, shard, seq, time, event_type, severity, principal_id, principal_type, roles, service,
      method, resource_type, resource_id, success, code, error_message, client_address, user_agent, request_id,
      session_id, details, prev_hash, hash)
    values ((r->>'id')::uuid, p_shard, head_seq + 1, (r->>'time')::timestamptz, r->>'event_type', r->>'severity',
      r->>'principal_id', r->>'principal_type', array(select jsonb_array_elements_text(r->'roles')), r->>'service',
      r->>'method', r->>'resource_type', r->>'resource_id', (r->>'success')::boolean, r->>'code',
      r->>'error_message', r->>'client_address', r->>'user_agent', r->>'request_id', r->>'session_id',
      r->'details', head_hash, new_hash);
    seq := head_seq + 1;
    prev_hash := head_hash;
    hash := new_hash;
    return next;
    head_seq := head_seq + 1;
    head_hash := new_hash;
  end loop;
  update audit_heads h set seq = head_seq, hash = head_hash where h.shard = p_shard;
end
$$;
grant execute on function audit_append_batch to memoric_app;
