/**
 * MemoryService storage: every function acts on one user's rows (the caller's, from the principal),
 * inside the caller's transaction (services/audited-tx.ts: confined by RLS to that user, audit row
 * last), and filters by user_id as well (two independent layers). Nothing here opens a transaction.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { DataKey } from "../security/crypto.js";
import type { MemoryStoreDeps } from "./memory-deps.js";
import { filterSql, type MemoryFilterInput } from "./memory-filters.js";
import { memoryColumns, openRow, uuidv7, withDataKey, type MemoryRecord, type MemoryRow } from "./memory-rows.js";
import { openVersions, rewriteMemory, type MemoryPatch, type VersionRecord } from "./memory-update.js";
import { dropTerms, insertPrepared, prepareMemory, type NewMemory, type PreparedMemory } from "./memory-write.js";
import type { Tx } from "./tx.js";
import { moveStats } from "./memory-stats.js";
import { bumpIfVectors, planVector, vectorSettings } from "./memory-vectors.js";
import { analyzeBatch } from "./analysis-pool.js";
import { threadPin, type Owner } from "./owner.js";

export type { MemoryStoreDeps } from "./memory-deps.js";
export type { NewMemory } from "./memory-write.js";
export type { MemoryRecord } from "./memory-rows.js";
export type { MemoryPatch, VersionRecord } from "./memory-update.js";

function notFound(): ConnectError {
  return new ConnectError("memory not found", Code.NotFound);
}

/** Selects and decrypts memories of one user; `where` continues `where m.user_id = $user`. */
async function readMemories(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  where: ReturnType<Tx>,
  tail: ReturnType<Tx> = tx``,
  known?: DataKey,
): Promise<MemoryRecord[]> {
  const rows = await tx<MemoryRow[]>`select ${memoryColumns(tx)} from memories m
    where m.owner_id = ${owner.ownerId} ${threadPin(tx, owner)} ${where} ${tail}`;
  if (rows.length === 0) return [];
  return withDataKey(
    tx,
    deps.keys,
    deps.logger,
    owner.ownerId,
    "memory",
    (key) => Promise.all(rows.map((r) => openRow(key, r))),
    known,
  );
}

export interface CreateResult {
  memories: MemoryRecord[];
  /** Per item: true when its idempotency key matched an earlier memory and nothing was written. */
  replayed: boolean[];
}

/**
 * Encrypts and hashes new memories with the user's data key: done before the transaction, so it
 * only holds locks for the SQL.
 */
export async function prepareMemories(
  deps: MemoryStoreDeps,
  key: DataKey,
  owner: Owner,
  items: NewMemory[],
): Promise<PreparedMemory[]> {
  // Ids share the millisecond; sorted, they follow the batch order (list order = insertion order).
  const now = Date.now();
  const ids = items.map(() => uuidv7(now)).sort();
  const settings = vectorSettings(deps.config);
  const inputs = items.map(({ content, metadata, importance, topic, category }) => ({
    content,
    metadata,
    importance,
    topic,
    category,
  }));
  const prepared: PreparedMemory[] = [];
  // Analysis runs off the main thread for batches (analysis-pool.ts); each chunk is sealed here as
  // soon as it is analyzed.
  for (const chunk of analyzeBatch(key.blindIndexKey(), inputs)) {
    // A turn between chunks, even when their analyses are all in: other calls' I/O and the readiness
    // probe must not wait for a whole batch of 1,000.
    if (prepared.length > 0) await nextTurn();
    const analyses = await chunk;
    const start = prepared.length;
    const done = await Promise.all(
      analyses.map(async (analysis, j) => {
        const item = items[start + j]!;
        const p = await prepareMemory(key, deps.config.memory.encryption, owner, ids[start + j]!, item, { analysis });
        p.vector = await planVector(settings, key, owner.ownerId, p.id, item.embedding);
        return p;
      }),
    );
    prepared.push(...done);
  }
  return prepared;
}

/**
 * The owner row is gone: an end user erased (by another replica) while this one still held its key.
 * Forget the key, so the retry finds the end user absent (and creates it anew if allowed).
 */
export function ownerErased(deps: MemoryStoreDeps, owner: Owner): (err: unknown) => never {
  return (err) => {
    if ((err as { code?: string }).code !== "23503") throw err;
    deps.keys.forget(owner.ownerId);
    throw new ConnectError("the end user was erased meanwhile; retry", Code.Aborted);
  };
}

/** Inserts prepared memories inside tx: all or nothing; an idempotency key seen before replays its memory. */
export async function insertMemories(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  prepared: PreparedMemory[],
): Promise<CreateResult> {
  const inserted = await insertPrepared(tx, owner, prepared).catch(ownerErased(deps, owner));
  return createdRecords(deps, tx, owner, prepared, inserted);
}

/** The records of prepared memories once inserted (`inserted`: the ids written) or replayed (read back). */
export async function createdRecords(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  prepared: PreparedMemory[],
  inserted: Map<string, { created_at: Date; updated_at: Date }>,
): Promise<CreateResult> {
  const replayHashes = prepared.filter((p) => !inserted.has(p.id) && p.idempotencyHash).map((p) => p.idempotencyHash!);
  const earlier = replayHashes.length
    ? await readMemoriesWithIdem(deps, tx, owner, replayHashes)
    : new Map<string, MemoryRecord>();
  const memories: MemoryRecord[] = [];
  const replayed: boolean[] = [];
  for (const p of prepared) {
    const ts = inserted.get(p.id);
    if (ts) {
      memories.push({
        id: p.id,
        content: p.input.content,
        threadId: p.input.threadId,
        agentId: p.input.agentId,
        namespace: p.input.namespace,
        role: p.input.role,
        importance: p.importance,
        tier: 1,
        summarized: false,
        isSummary: false,
        pinned: p.input.pinned ?? false,
        supersededBy: null,
        version: 1,
        createdAt: ts.created_at,
        updatedAt: ts.updated_at,
        expiresAt: p.input.expiresAt,
        ...p.doc, // last: see domain/objects.ts
      });
      replayed.push(false);
    } else {
      const m = earlier.get(p.idempotencyHash!.toString("hex"));
      // A duplicate key without a visible row cannot happen under the unique index; fail loudly.
      if (!m) throw new ConnectError("idempotency key conflict, retry", Code.Aborted);
      memories.push(m);
      replayed.push(true);
    }
  }
  return { memories, replayed };
}

async function readMemoriesWithIdem(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  hashes: Buffer[],
): Promise<Map<string, MemoryRecord>> {
  const rows = await tx<(MemoryRow & { idem: Buffer })[]>`
    select ${memoryColumns(tx)}, m.idempotency_key_hash as idem from memories m
    where m.owner_id = ${owner.ownerId}
      and m.idempotency_key_hash = any(array(
        select decode(h, 'hex') from unnest(${hashes.map((h) => h.toString("hex"))}::text[]) h))`;
  const out = new Map<string, MemoryRecord>();
  await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory", async (key) => {
    for (const r of rows) out.set(Buffer.from(r.idem).toString("hex"), await openRow(key, r));
  });
  return out;
}

/**
 * One memory by id. Given the owner's key (`known`, taken from the cache), it runs exactly one
 * statement, so the read may commit right behind it (InTxOptions.oneStatement).
 */
export async function getMemory(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  id: string,
  known?: DataKey,
): Promise<MemoryRecord> {
  const [m] = await readMemories(deps, tx, owner, tx`and m.id = ${id}`, tx``, known);
  if (!m) throw notFound();
  return m;
}

/** Keyset cursor: created_at exactly as Postgres stores it (microseconds) and the id. */
export interface ListCursor {
  createdAt: string;
  id: string;
}

export interface MemoryPage {
  memories: MemoryRecord[];
  next: ListCursor | undefined;
}

/** One page of the user's memories, newest first. */
export async function listMemories(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  filter: MemoryFilterInput,
  pageSize: number,
  after: ListCursor | undefined,
): Promise<MemoryPage> {
  const key = await deps.keys.load(tx, owner.ownerId);
  const cursor = after
    ? tx`and (m.created_at, m.id) < (${after.createdAt}::text::timestamptz, ${after.id}::uuid)`
    : tx``;
  const rows = await tx<(MemoryRow & { cursor_ts: string })[]>`
    select ${memoryColumns(tx)}, to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts
    from memories m
    where m.owner_id = ${owner.ownerId} ${threadPin(tx, owner)} ${filterSql(tx, key?.blindIndexKey(), filter)} ${cursor}
    order by m.created_at desc, m.id desc
    limit ${pageSize + 1}`;
  const page = rows.slice(0, pageSize);
  const memories = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory", (k) =>
    Promise.all(page.map((r) => openRow(k, r))),
  );
  const last = page[page.length - 1];
  return { memories, next: rows.length > pageSize && last ? { createdAt: last.cursor_ts, id: last.id } : undefined };
}

/** Applies a patch; the previous state is kept in memory_versions with the reason "update". */
export async function updateMemory(
  deps: MemoryStoreDeps,
  tx: Tx,
  key: DataKey,
  owner: Owner,
  id: string,
  patch: MemoryPatch,
): Promise<MemoryRecord> {
  const m = await rewriteMemory(deps, tx, key, owner, id, patch, "update");
  if (!m) throw notFound();
  return m;
}

export async function deleteMemory(tx: Tx, owner: Owner, id: string): Promise<void> {
  const rows = await tx`
    with gone as (
      delete from memories m where m.owner_id = ${owner.ownerId} and m.id = ${id} ${threadPin(tx, owner)}
      returning m.id, m.doc_len, m.term_hashes
    ), terms as (${dropTerms(tx, owner, tx`select id, term_hashes from gone`)}),
    stats as (${moveStats(tx, owner, tx`select id, -doc_len, -1 from gone`)}),
    vbump as (${bumpIfVectors(tx, owner, tx`select 1 from gone`)})
    select id from gone`;
  if (rows.length === 0) throw notFound();
}

/** Deletes every memory of the user matching the filter (terms and versions cascade); returns how many. */
export async function deleteMemories(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  filter: MemoryFilterInput,
): Promise<number> {
  const key = await deps.keys.load(tx, owner.ownerId);
  const [row] = await tx<{ n: number }[]>`
    with gone as (
      delete from memories m
      where m.owner_id = ${owner.ownerId} ${threadPin(tx, owner)} ${filterSql(tx, key?.blindIndexKey(), filter)}
      returning m.id, m.doc_len, m.term_hashes
    ), terms as (${dropTerms(tx, owner, tx`select id, term_hashes from gone`)}),
    stats as (${moveStats(tx, owner, tx`select id, -doc_len, -1 from gone`)}),
    vbump as (${bumpIfVectors(tx, owner, tx`select 1 from gone`)})
    select count(*)::int as n from gone`;
  return row?.n ?? 0;
}

/** Superseded versions oldest first, then the current state (reason "current"). */
export async function readHistory(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  ids: string[],
): Promise<Map<string, VersionRecord[]>> {
  return openVersions(deps, tx, owner, ids);
}

export async function getMemoryHistory(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  id: string,
): Promise<VersionRecord[]> {
  const [m] = await readMemories(deps, tx, owner, tx`and m.id = ${id}`);
  if (!m) throw notFound();
  const versions = (await readHistory(deps, tx, owner, [id])).get(id) ?? [];
  return [
    ...versions,
    { version: m.version, content: m.content, metadata: m.metadata, reason: "current", createdAt: m.updatedAt },
  ];
}
