/**
 * Turning plaintext into a storable memory row: derived metadata, blind index terms, blind values
 * for filters and the sealed (encrypted) content and metadata document. Shared by create, update,
 * the policies and the benchmark's bulk loader, so every path indexes and encrypts the same way.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { DataKey } from "../security/crypto.js";
import type { Tx } from "./tx.js";
import { arrayLiteral, type ArrayLiteral } from "./array-literal.js";
import { moveStats } from "./memory-stats.js";
import { threadPin, type Owner } from "./owner.js";
import { bumpIfVectors, insertVectorsCte, type VectorPlan } from "./memory-vectors.js";
import { contentAd, encodeDoc, idempotencyHash, seal, type MemoryDoc } from "./memory-rows.js";
import {
  analyzeMemory,
  indexState,
  TermIndexer,
  type Analysis,
  type IndexedState,
  type IndexedTerms,
} from "./memory-analysis.js";

export interface NewMemory {
  content: string;
  threadId: string;
  agentId: string;
  namespace: string;
  metadata: JsonObject;
  /** 0 = derive. */
  importance: number;
  /** "" = derive. */
  topic: string;
  /** "" = derive. */
  category: string;
  role: number;
  expiresAt: Date | null;
  /** "" = none. */
  idempotencyKey: string;
  /** A core memory (always in GetContext); default false. */
  pinned?: boolean;
  /** The client's own vector for it (validated: the configured length, finite). */
  embedding?: Float32Array | undefined;
}

/** The content-dependent columns of a memories row at a given version. */
export interface SealedState {
  content_ct: Uint8Array;
  metadata_ct: Uint8Array;
  encrypted: boolean;
  key_id: number | null;
  topic_hash: string | null;
  category_hash: string | null;
  meta_hashes: string[];
  content_chars: number;
  doc_len: number;
  terms_hash: Buffer | null;
  /** The hashes of the memory's postings: how deleting or rewriting it finds them (0011_one_posting_index.sql). */
  term_hashes: ArrayLiteral;
}

/** Seals a memory's state; `indexed` is its analysis when the caller has it (batches: analysis-pool.ts). */
export async function sealState(
  key: DataKey,
  encrypt: boolean,
  owner: Owner,
  id: string,
  version: number,
  content: string,
  doc: MemoryDoc,
  indexed: IndexedState = indexState(new TermIndexer(key.blindIndexKey()), content, doc),
): Promise<SealedState> {
  const [c, m] = await Promise.all([
    seal(key, encrypt, content, contentAd(owner.ownerId, id, version, "content")),
    seal(key, encrypt, encodeDoc(doc), contentAd(owner.ownerId, id, version, "metadata")),
  ]);
  const terms = indexed.terms;
  return {
    content_ct: c.ct,
    metadata_ct: m.ct,
    encrypted: c.encrypted,
    key_id: c.keyId,
    topic_hash: indexed.topicHash,
    category_hash: indexed.categoryHash,
    meta_hashes: indexed.metaHashes,
    content_chars: [...content].length,
    doc_len: terms.docLen,
    terms_hash: terms.fingerprint,
    term_hashes: arrayLiteral(terms.hashes),
  };
}

export interface PreparedMemory {
  id: string;
  input: NewMemory;
  doc: MemoryDoc;
  importance: number;
  row: Record<string, unknown>;
  terms: IndexedTerms;
  idempotencyHash: Buffer | null;
  /** Its memory_vectors row, when vectors are on (store/memory-vectors.ts). */
  vector?: VectorPlan | undefined;
}

export async function prepareMemory(
  key: DataKey,
  encrypt: boolean,
  owner: Owner,
  id: string,
  input: NewMemory,
  extra: { tier?: number; isSummary?: boolean; summarized?: boolean; indexer?: TermIndexer; analysis?: Analysis } = {},
): Promise<PreparedMemory> {
  const { doc, importance, indexed } =
    extra.analysis ?? analyzeMemory(extra.indexer ?? new TermIndexer(key.blindIndexKey()), input);
  const state = await sealState(key, encrypt, owner, id, 1, input.content, doc, indexed);
  const idem = input.idempotencyKey ? idempotencyHash(key.blindIndexKey(), input.idempotencyKey) : null;
  return {
    id,
    input,
    doc,
    importance,
    terms: indexed.terms,
    idempotencyHash: idem,
    row: {
      id,
      account_id: owner.accountId,
      owner_id: owner.ownerId,
      namespace: input.namespace,
      agent_id: input.agentId,
      thread_id: input.threadId,
      role: input.role,
      importance,
      tier: extra.tier ?? 1,
      is_summary: extra.isSummary ?? false,
      summarized: extra.summarized ?? false,
      expires_at: input.expiresAt,
      idempotency_key_hash: idem,
      pinned: input.pinned ?? false,
      ...state,
    },
  };
}

const INSERT_COLUMNS = [
  "id",
  "account_id",
  "owner_id",
  "namespace",
  "agent_id",
  "thread_id",
  "role",
  "importance",
  "tier",
  "is_summary",
  "summarized",
  "expires_at",
  "idempotency_key_hash",
  "content_ct",
  "metadata_ct",
  "encrypted",
  "key_id",
  "topic_hash",
  "category_hash",
  "meta_hashes",
  "content_chars",
  "doc_len",
  "terms_hash",
  "term_hashes",
  "pinned",
] as const;

/** Flattens per-memory terms into parallel array literals for one unnest() insert. */
function termArrays(items: ReadonlyArray<readonly [string, IndexedTerms]>) {
  const ids: string[] = [];
  const hashes: string[] = [];
  const tfs: number[] = [];
  const lens: number[] = [];
  for (const [id, t] of items) {
    t.hashes.forEach((h, i) => {
      ids.push(id);
      hashes.push(h);
      tfs.push(t.tfs[i]!);
      lens.push(t.docLen);
    });
  }
  return {
    count: ids.length,
    ids: arrayLiteral(ids),
    hashes: arrayLiteral(hashes),
    tfs: arrayLiteral(tfs),
    lens: arrayLiteral(lens),
  };
}

/**
 * The data-modifying CTEs `ins` (the rows, skipping idempotency-key duplicates; returns id, doc_len,
 * created_at, updated_at), `terms` (the postings of the rows actually inserted) and `stats`.
 */
function insertCtes(tx: Tx, owner: Owner, items: PreparedMemory[], supersedes = false): ReturnType<Tx> {
  const t = termArrays(items.map((p) => [p.id, p.terms] as const));
  const planned = items.flatMap((p) => (p.vector ? [[p.id, p.vector] as const] : []));
  const vectors = planned.length > 0 ? insertVectorsCte(tx, owner, planned, supersedes) : tx``;
  return tx`
    ins as (
      insert into memories ${tx(
        items.map((p) => p.row),
        ...INSERT_COLUMNS,
      )}
      on conflict (owner_id, idempotency_key_hash) where idempotency_key_hash is not null do nothing
      returning id, doc_len, created_at, updated_at
    ), terms as (
      insert into memory_terms (owner_id, memory_id, account_id, term_hash, tf, doc_len)
      select ${owner.ownerId}::uuid, t.id, ${owner.accountId}::uuid, t.h, t.tf, t.len
      from unnest(${t.ids}::uuid[], ${t.hashes}::bigint[], ${t.tfs}::int[], ${t.lens}::int[]) as t(id, h, tf, len)
      where t.id in (select id from ins)
    ), stats as (${moveStats(tx, owner, tx`select id, doc_len, 1 from ins`)}) ${vectors}`;
}

type Inserted = Map<string, { created_at: Date; updated_at: Date }>;

/**
 * Inserts rows (skipping idempotency-key duplicates) and the terms of the rows actually inserted,
 * in ONE statement (one round trip; callers may pipeline their audit row right behind it).
 * Returns id -> {created_at, updated_at} of the inserted rows.
 */
export async function insertPrepared(tx: Tx, owner: Owner, items: PreparedMemory[]): Promise<Inserted> {
  if (items.length === 0) return new Map();
  const inserted = await tx<{ id: string; created_at: Date; updated_at: Date }[]>`
    with ${insertCtes(tx, owner, items)}
    select id, created_at, updated_at from ins`;
  return new Map(inserted.map((r) => [r.id, { created_at: r.created_at, updated_at: r.updated_at }]));
}

export interface InsertedOne {
  inserted: Inserted;
  /** The most recent live memory with the same term fingerprint (other than the superseded ones). */
  duplicateOf: string | undefined;
  /** How many of `supersedes` were marked superseded by the new memory. */
  superseded: number;
}

/**
 * CreateMemory's statement: inserts one memory as insertPrepared does and, in the same statement,
 * looks up a live duplicate of it (same term fingerprint; read from the snapshot before the insert)
 * and marks `supersedes` superseded by it. One round trip, whatever it finds.
 */
export async function insertOne(
  tx: Tx,
  owner: Owner,
  item: PreparedMemory,
  supersedes: string[],
): Promise<InsertedOne> {
  const pin = threadPin(tx, owner);
  const fp = item.terms.fingerprint;
  // Superseded memories leave the vector index; with a vector row the insert's CTE already bumps the version.
  const supBump =
    supersedes.length > 0 && !item.vector
      ? tx`, supbump as (${bumpIfVectors(tx, owner, tx`select 1 from sup`)})`
      : tx``;
  // Without ids to supersede there is no update at all: a prepared statement's generic plan for
  // `id = any('{}')` scanned every memory of the owner (rows removed by filter: all of them).
  const sup =
    supersedes.length > 0
      ? tx`
      update memories m set superseded_by = ${item.id}
      where m.owner_id = ${owner.ownerId} and m.id = any(${supersedes}::uuid[]) and exists (select from ins) ${pin}
      returning m.id`
      : tx`select null::uuid as id where false`;
  const rows = await tx<
    { id: string | null; created_at: Date; updated_at: Date; duplicate_of: string | null; superseded: number }[]
  >`
    with ${insertCtes(tx, owner, [item], supersedes.length > 0)},
    dup as (
      select m.id from memories m
      where m.owner_id = ${owner.ownerId} and m.terms_hash = ${fp}
        and m.superseded_by is null and m.id <> all(${supersedes}::uuid[]) ${pin}
      order by m.updated_at desc, m.id desc limit 1
    ), sup as (${sup}) ${supBump}
    select i.id, i.created_at, i.updated_at, x.duplicate_of, x.superseded
    from (select (select id from dup) as duplicate_of, (select count(*)::int from sup) as superseded) x
    left join ins as i on true`;
  const r = rows[0]!;
  const inserted: Inserted = new Map();
  if (r.id !== null) inserted.set(r.id, { created_at: r.created_at, updated_at: r.updated_at });
  return { inserted, duplicateOf: r.duplicate_of ?? undefined, superseded: r.superseded };
}

export async function insertTerms(
  tx: Tx,
  owner: Owner,
  items: ReadonlyArray<readonly [string, IndexedTerms]>,
): Promise<void> {
  const t = termArrays(items);
  if (t.count === 0) return;
  await tx`
    insert into memory_terms (owner_id, memory_id, account_id, term_hash, tf, doc_len)
    select ${owner.ownerId}::uuid, t.id, ${owner.accountId}::uuid, t.h, t.tf, t.len
    from unnest(${t.ids}::uuid[], ${t.hashes}::bigint[], ${t.tfs}::int[], ${t.lens}::int[]) as t(id, h, tf, len)`;
}

/**
 * Deletes the postings of the memories a statement deletes: a data-modifying CTE over `gone` (a query
 * yielding their `id` and `term_hashes`), used by every statement deleting memories (memory_terms has
 * no foreign key to cascade, 0009_hot_path.sql). One primary-key probe per posting.
 */
/** Deletes the given postings of these memories (their term hashes as read before a rewrite). */
export async function dropPostings(
  tx: Tx,
  owner: Owner,
  items: ReadonlyArray<readonly [id: string, hashes: readonly string[]]>,
): Promise<void> {
  const ids = items.flatMap(([id, hashes]) => hashes.map(() => id));
  const hashes = items.flatMap(([, h]) => h);
  if (hashes.length === 0) return;
  await tx`delete from memory_terms t
    using unnest(${ids}::uuid[], ${hashes}::bigint[]) as x(id, h)
    where t.owner_id = ${owner.ownerId} and t.term_hash = x.h and t.memory_id = x.id`;
}

export function dropTerms(tx: Tx, owner: Owner, gone: ReturnType<Tx>): ReturnType<Tx> {
  return tx`delete from memory_terms t
    using (select g.id, unnest(g.term_hashes) as h from (${gone}) g) x
    where t.owner_id = ${owner.ownerId} and t.term_hash = x.h and t.memory_id = x.id`;
}
