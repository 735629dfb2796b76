/**
 * End users as owners rows (DESIGN.md §9): the external id encrypted under the account's data key,
 * the end user's own wrapped data key, and the token version delegated tokens are checked against.
 * Every statement names the owner id (the routing key); listing is the one per-account read.
 */
import type { Owner } from "./owner.js";
import type { Tx } from "./tx.js";

export interface EndUserRow {
  id: string;
  external_id_ct: Uint8Array;
  token_version: number;
  created_at: Date;
  memory_count: string;
}

export interface NewEndUser {
  id: string;
  accountId: string;
  externalIdCt: Uint8Array;
  wrappedKey: Uint8Array;
  masterKeyId: number | null;
}

/** Inserts the end user unless it exists; returns whether this call created it. */
export async function insertEndUser(tx: Tx, e: NewEndUser): Promise<boolean> {
  const rows = await tx`
    insert into owners (id, account_id, external_id_ct, wrapped_key, master_key_id)
    values (${e.id}, ${e.accountId}, ${e.externalIdCt}, ${e.wrappedKey}, ${e.masterKeyId})
    on conflict (id) do nothing returning id`;
  return rows.length === 1;
}

const memoryCount = (tx: Tx) =>
  tx`(select coalesce(sum(s.doc_count), 0) from memory_stats s where s.owner_id = o.id)::text as memory_count`;

/** One end user of the account, or undefined. */
export async function findEndUser(tx: Tx, owner: Owner): Promise<EndUserRow | undefined> {
  const [row] = await tx<EndUserRow[]>`
    select o.id, o.external_id_ct, o.token_version, o.created_at, ${memoryCount(tx)}
    from owners o
    where o.id = ${owner.ownerId} and o.account_id = ${owner.accountId} and o.external_id_ct is not null`;
  return row;
}

export interface EndUserCursor {
  createdAt: string;
  id: string;
}

/** A page of the account's end users, oldest first (index owners_account_end_users_idx). */
export async function listEndUsers(
  tx: Tx,
  accountId: string,
  pageSize: number,
  after: EndUserCursor | undefined,
): Promise<{ rows: EndUserRow[]; next: EndUserCursor | undefined }> {
  const cursor = after
    ? tx`and (o.created_at, o.id) > (${after.createdAt}::text::timestamptz, ${after.id}::uuid)`
    : tx``;
  const rows = await tx<(EndUserRow & { cursor_ts: string })[]>`
    select o.id, o.external_id_ct, o.token_version, o.created_at, ${memoryCount(tx)},
           to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts
    from owners o
    where o.account_id = ${accountId} and o.external_id_ct is not null ${cursor}
    order by o.created_at, o.id
    limit ${pageSize + 1}`;
  const page = rows.slice(0, pageSize);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > pageSize && last ? { createdAt: last.cursor_ts, id: last.id } : undefined };
}

/** Revokes the end user's delegated tokens: they carry the version they were issued under. */
export async function bumpTokenVersion(tx: Tx, owner: Owner): Promise<boolean> {
  const rows = await tx`
    update owners set token_version = token_version + 1, updated_at = now()
    where id = ${owner.ownerId} and account_id = ${owner.accountId} and external_id_ct is not null
    returning id`;
  return rows.length === 1;
}

export interface OwnerErasure {
  keyDestroyed: boolean;
  memories: number;
  versions: number;
  terms: number;
  clusters: number;
}

/**
 * Erases one owner inside the caller's transaction: the wrapped data key FIRST (from that statement
 * on, every ciphertext of the owner — here, in replicas and in backups' memory rows — is unreadable
 * whatever happens next), then the rows, then the owner itself. Counts only, no content.
 */
export async function eraseOwner(tx: Tx, owner: Owner): Promise<OwnerErasure> {
  const id = owner.ownerId;
  const count = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? 0;
  const keyDestroyed =
    (await count(tx`
      with k as (
        update owners set wrapped_key = null, master_key_id = null, updated_at = now()
        where id = ${id} and account_id = ${owner.accountId} and wrapped_key is not null returning 1
      ) select count(*)::int as n from k`)) > 0;
  const terms = await count(
    tx`with d as (delete from memory_terms where owner_id = ${id} returning 1) select count(*)::int as n from d`,
  );
  const versions = await count(
    tx`with d as (delete from memory_versions where owner_id = ${id} returning 1) select count(*)::int as n from d`,
  );
  const memories = await count(
    tx`with d as (delete from memories where owner_id = ${id} returning 1) select count(*)::int as n from d`,
  );
  const clusters = await count(
    tx`with d as (delete from memory_clusters where owner_id = ${id} returning 1) select count(*)::int as n from d`,
  );
  await tx`delete from memory_stats where owner_id = ${id}`;
  await tx`delete from owners where id = ${id} and account_id = ${owner.accountId}`;
  return { keyDestroyed, memories, versions, terms, clusters };
}
