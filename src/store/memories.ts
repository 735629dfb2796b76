/**
 * MemoryService storage: every function acts on one user's rows (the caller's, from the principal),
 * inside transactions confined by RLS to that user, and filters by user_id as well (two independent
 * layers). Mutations write their audit row inside their own transaction.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Config } from "../config.js";
import type { CallInfo } from "../interceptors/call-context.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { AuditEventInput, AuditWriter, SystemActor } from "./audit-log.js";
import type { Sql } from "./database.js";
import { filterSql, type MemoryFilterInput } from "./memory-filters.js";
import { memoryColumns, openRow, uuidv7, withDataKey, type MemoryRecord, type MemoryRow } from "./memory-rows.js";
import { openVersions, rewriteMemory, type MemoryPatch, type VersionRecord } from "./memory-update.js";
import { insertPrepared, prepareMemory, type NewMemory } from "./memory-write.js";
import { inTx, userContext, type Tx } from "./tx.js";
import { UserKeys } from "./user-keys.js";

export type { NewMemory } from "./memory-write.js";
export type { MemoryRecord } from "./memory-rows.js";
export type { MemoryPatch, VersionRecord } from "./memory-update.js";

export interface MemoryStoreDeps {
  sql: Sql;
  keys: UserKeys;
  config: Config["memory"];
  logger: Logger;
  audit: AuditWriter;
  /** Policy runs are counted here when given (decryption failures go through keys). */
  metrics?: Metrics;
}

export type Actor = CallInfo | SystemActor;

function notFound(): ConnectError {
  return new ConnectError("memory not found", Code.NotFound);
}

/** Selects and decrypts memories of one user; `where` continues `where m.user_id = $user`. */
async function readMemories(deps: MemoryStoreDeps, tx: Tx, userId: string, where: ReturnType<Tx>, tail: ReturnType<Tx> = tx``): Promise<MemoryRecord[]> {
  const rows = await tx<MemoryRow[]>`select ${memoryColumns(tx)} from memories m where m.user_id = ${userId} ${where} ${tail}`;
  if (rows.length === 0) return [];
  return withDataKey(tx, deps.keys, deps.logger, userId, "memory", (key) => Promise.all(rows.map((r) => openRow(key, r))));
}

export interface CreateResult {
  memories: MemoryRecord[];
  /** Per item: true when its idempotency key matched an earlier memory and nothing was written. */
  replayed: boolean[];
}

/** Creates one or more memories in one transaction: all or nothing. */
export async function createMemories(deps: MemoryStoreDeps, userId: string, actor: Actor, items: NewMemory[]): Promise<CreateResult> {
  const key = await deps.keys.ensure(deps.sql, userId);
  // Ids share the millisecond; sorted, they follow the batch order (list order = insertion order).
  const now = Date.now();
  const ids = items.map(() => uuidv7(now)).sort();
  // Encryption and hashing happen before the transaction, so it only holds locks for the SQL.
  const prepared = await Promise.all(items.map((item, i) => prepareMemory(key, deps.config.encryption, userId, ids[i]!, item)));
  const keyed = prepared.some((p) => p.idempotencyHash);
  return inTx(deps.sql, userContext(userId), async (tx) => {
    let inserted: Awaited<ReturnType<typeof insertPrepared>>;
    if (!keyed) {
      // No idempotency keys: everything is inserted, so the audit row is known up front and is
      // pipelined behind the insert (one round trip for both, audit still the last statement).
      [inserted] = await Promise.all([
        insertPrepared(tx, userId, prepared),
        deps.audit.record(tx, actor, createdEvent(items.length === 1 ? prepared[0]!.id : undefined, items.length, 0)),
      ]);
    } else {
      inserted = await insertPrepared(tx, userId, prepared);
    }
    const replayHashes = prepared.filter((p) => !inserted.has(p.id) && p.idempotencyHash).map((p) => p.idempotencyHash!);
    const earlier = replayHashes.length
      ? await readMemoriesWithIdem(deps, tx, userId, replayHashes)
      : new Map<string, MemoryRecord>();
    const memories: MemoryRecord[] = [];
    const replayed: boolean[] = [];
    for (const p of prepared) {
      const ts = inserted.get(p.id);
      if (ts) {
        memories.push({
          ...p.doc,
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
          version: 1,
          createdAt: ts.created_at,
          updatedAt: ts.updated_at,
          expiresAt: p.input.expiresAt,
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
    if (keyed) {
      const created = replayed.filter((r) => !r).length;
      await deps.audit.record(tx, actor, createdEvent(items.length === 1 ? memories[0]!.id : undefined, created, items.length - created));
    }
    return { memories, replayed };
  });
}

function createdEvent(resourceId: string | undefined, count: number, replayed: number): AuditEventInput {
  return { type: "memory.created", success: true, resourceType: "memory", ...(resourceId ? { resourceId } : {}), details: { count, replayed } };
}

async function readMemoriesWithIdem(deps: MemoryStoreDeps, tx: Tx, userId: string, hashes: Buffer[]): Promise<Map<string, MemoryRecord>> {
  const rows = await tx<(MemoryRow & { idem: Buffer })[]>`
    select ${memoryColumns(tx)}, m.idempotency_key_hash as idem from memories m
    where m.user_id = ${userId}
      and m.idempotency_key_hash = any(array(
        select decode(h, 'hex') from unnest(${hashes.map((h) => h.toString("hex"))}::text[]) h))`;
  const out = new Map<string, MemoryRecord>();
  await withDataKey(tx, deps.keys, deps.logger, userId, "memory", async (key) => {
    for (const r of rows) out.set(Buffer.from(r.idem).toString("hex"), await openRow(key, r));
  });
  return out;
}

export async function getMemory(deps: MemoryStoreDeps, userId: string, id: string): Promise<MemoryRecord> {
  const [m] = await inTx(deps.sql, userContext(userId), (tx) => readMemories(deps, tx, userId, tx`and m.id = ${id}`));
  if (!m) throw notFound();
  return m;
}

/** Keyset cursor: created_at exactly as Postgres stores it (microseconds) and the id. */
export interface ListCursor {
  createdAt: string;
  id: string;
}

export async function listMemories(deps: MemoryStoreDeps, userId: string, filter: MemoryFilterInput, pageSize: number, after: ListCursor | undefined): Promise<{ memories: MemoryRecord[]; next: ListCursor | undefined }> {
  return inTx(deps.sql, userContext(userId), async (tx) => {
    const key = await deps.keys.load(tx, userId);
    const cursor = after ? tx`and (m.created_at, m.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : tx``;
    const rows = await tx<(MemoryRow & { cursor_ts: string })[]>`
      select ${memoryColumns(tx)},
        to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts
      from memories m
      where m.user_id = ${userId} ${filterSql(tx, key?.blindIndexKey(), filter)} ${cursor}
      order by m.created_at desc, m.id desc
      limit ${pageSize + 1}`;
    const page = rows.slice(0, pageSize);
    const memories = await withDataKey(tx, deps.keys, deps.logger, userId, "memory", (k) => Promise.all(page.map((r) => openRow(k, r))));
    const last = page[page.length - 1];
    return { memories, next: rows.length > pageSize && last ? { createdAt: last.cursor_ts, id: last.id } : undefined };
  });
}

/** Applies a patch; the previous state is kept in memory_versions with the given reason. */
export async function updateMemory(deps: MemoryStoreDeps, userId: string, actor: Actor, id: string, patch: MemoryPatch): Promise<MemoryRecord> {
  const key = await deps.keys.ensure(deps.sql, userId);
  return inTx(deps.sql, userContext(userId), async (tx) => {
    const m = await rewriteMemory(deps, tx, key, userId, id, patch, "update");
    if (!m) throw notFound();
    await deps.audit.record(tx, actor, { type: "memory.updated", success: true, resourceType: "memory", resourceId: id, details: { fields: Object.keys(patch).sort() } });
    return m;
  });
}

export async function deleteMemory(deps: MemoryStoreDeps, userId: string, actor: Actor, id: string): Promise<void> {
  await inTx(deps.sql, userContext(userId), async (tx) => {
    const rows = await tx`delete from memories m where m.id = ${id} and m.user_id = ${userId} returning m.id`;
    if (rows.length === 0) throw notFound();
    await deps.audit.record(tx, actor, { type: "memory.deleted", success: true, resourceType: "memory", resourceId: id, details: { count: 1 } });
  });
}

/** Deletes every memory of the user matching the filter (terms and versions cascade). */
export async function deleteMemories(deps: MemoryStoreDeps, userId: string, actor: Actor, filter: MemoryFilterInput): Promise<number> {
  return inTx(deps.sql, userContext(userId), async (tx) => {
    const key = await deps.keys.load(tx, userId);
    const filterBy = filterSql(tx, key?.blindIndexKey(), filter);
    const rows = await tx`delete from memories m where m.user_id = ${userId} ${filterBy} returning m.id`;
    await deps.audit.record(tx, actor, { type: "memory.deleted", success: true, resourceType: "memory", details: { count: rows.length, byFilter: true } });
    return rows.length;
  });
}

/** Superseded versions oldest first, then the current state (reason "current"). */
async function readHistory(deps: MemoryStoreDeps, tx: Tx, userId: string, ids: string[]): Promise<Map<string, VersionRecord[]>> {
  return openVersions(deps, tx, userId, ids);
}

export async function getMemoryHistory(deps: MemoryStoreDeps, userId: string, id: string): Promise<VersionRecord[]> {
  return inTx(deps.sql, userContext(userId), async (tx) => {
    const [m] = await readMemories(deps, tx, userId, tx`and m.id = ${id}`);
    if (!m) throw notFound();
    const versions = (await readHistory(deps, tx, userId, [id])).get(id) ?? [];
    return [...versions, { version: m.version, content: m.content, metadata: m.metadata, reason: "current", createdAt: m.updatedAt }];
  });
}

/** Every memory matching the filter with its history, page by page (one short transaction each). */
export async function* exportMemories(deps: MemoryStoreDeps, userId: string, filter: MemoryFilterInput, pageSize = 100): AsyncGenerator<{ memory: MemoryRecord; versions: VersionRecord[] }> {
  let after: ListCursor | undefined;
  do {
    const cursor = after;
    const page = await listMemories(deps, userId, filter, pageSize, cursor);
    const history = page.memories.length
      ? await inTx(deps.sql, userContext(userId), (tx) => readHistory(deps, tx, userId, page.memories.map((m) => m.id)))
      : new Map<string, VersionRecord[]>();
    for (const memory of page.memories) yield { memory, versions: history.get(memory.id) ?? [] };
    after = page.next;
  } while (after);
}

/** The store's view of the application dependencies (one UserKeys per process is plenty). */
export function storeDeps(app: {
  config: Config;
  logger: Logger;
  db: { sql: Sql };
  audit: AuditWriter;
  secrets: { keyring: import("../security/crypto.js").MasterKeyring | undefined };
  metrics?: Metrics;
}): MemoryStoreDeps {
  const { metrics } = app;
  const keys = new UserKeys(app.secrets.keyring, metrics);
  return { sql: app.db.sql, keys, config: app.config.memory, logger: app.logger, audit: app.audit, metrics };
}
