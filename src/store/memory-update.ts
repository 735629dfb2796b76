/**
 * Non-destructive rewrites of a memory (UpdateMemory, policy trims and summaries): the current
 * state is archived in memory_versions byte for byte, then the new state is sealed under version+1.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { deriveCategory, deriveImportance, deriveTopic, extractEntities } from "../domain/metadata.js";
import type { DataKey } from "../security/crypto.js";
import type { MemoryStoreDeps } from "./memory-deps.js";
import {
  contentAd,
  decodeDoc,
  memoryColumns,
  openRow,
  unseal,
  withDataKey,
  type MemoryDoc,
  type MemoryRecord,
  type MemoryRow,
} from "./memory-rows.js";
import { dropPostings, insertTerms, sealState } from "./memory-write.js";
import { indexState, TermIndexer } from "./memory-analysis.js";
import type { Tx } from "./tx.js";
import { moveStats } from "./memory-stats.js";
import { resetVector, vectorSettings } from "./memory-vectors.js";
import { threadPin, type Owner } from "./owner.js";

export interface MemoryPatch {
  content?: string;
  threadId?: string;
  agentId?: string;
  namespace?: string;
  metadata?: JsonObject;
  /** 0 = derive from the (new) content. */
  importance?: number;
  /** "" = derive. */
  topic?: string;
  /** "" = derive. */
  category?: string;
  expiresAt?: Date | null;
  pinned?: boolean;
}

export interface VersionRecord {
  version: number;
  content: string;
  metadata: JsonObject;
  /** update | trim | summarize, or "current" for the live state. */
  reason: string;
  createdAt: Date;
}

export type RewriteReason = "update" | "trim" | "summarize";

/** The new document: explicit values win, derived ones follow the content. */
function nextDoc(cur: MemoryRecord, patch: MemoryPatch, content: string): { doc: MemoryDoc; importance: number } {
  const contentChanged = content !== cur.content;
  const pick = (
    given: string | undefined,
    wasDerived: boolean,
    current: string,
    derive: () => string,
  ): [string, boolean] => {
    if (given !== undefined && given.trim() !== "") return [given.trim(), false];
    if (given !== undefined) return [derive(), true]; // explicitly cleared: derive again
    return wasDerived && contentChanged ? [derive(), true] : [current, wasDerived];
  };
  const [topic, topicDerived] = pick(patch.topic, cur.derived.topic, cur.topic, () => deriveTopic(content));
  const [category, categoryDerived] = pick(patch.category, cur.derived.category, cur.category, () =>
    deriveCategory(content),
  );
  let importance = cur.importance;
  let importanceDerived = cur.derived.importance;
  if (patch.importance !== undefined && patch.importance >= 1)
    [importance, importanceDerived] = [patch.importance, false];
  else if (patch.importance !== undefined || (importanceDerived && contentChanged))
    [importance, importanceDerived] = [deriveImportance(content), true];
  return {
    importance,
    doc: {
      metadata: patch.metadata ?? cur.metadata,
      topic,
      category,
      entities: contentChanged ? extractEntities(content) : cur.entities,
      derived: { topic: topicDerived, category: categoryDerived, importance: importanceDerived },
    },
  };
}

/**
 * Rewrites one memory of owner; undefined when it does not exist (or is not theirs). `flags`
 * lets the policies mark the result as summarized.
 */
export async function rewriteMemory(
  deps: MemoryStoreDeps,
  tx: Tx,
  key: DataKey,
  owner: Owner,
  id: string,
  patch: MemoryPatch,
  reason: RewriteReason,
  flags: { summarized?: boolean } = {},
): Promise<MemoryRecord | undefined> {
  const rows = await tx<MemoryRow[]>`select ${memoryColumns(tx)} from memories m
    where m.owner_id = ${owner.ownerId} and m.id = ${id} ${threadPin(tx, owner)} for update`;
  const row = rows[0];
  if (!row) return undefined;
  const cur = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory", (k) => openRow(k, row));
  const content = patch.content ?? cur.content;
  const { doc, importance } = nextDoc(cur, patch, content);
  const version = cur.version + 1;
  // New content from the caller is original again; policies pass summarized: true.
  const summarized = flags.summarized ?? (patch.content !== undefined ? false : cur.summarized);
  const indexed = indexState(new TermIndexer(key.blindIndexKey()), content, doc);
  const { terms } = indexed;
  const state = await sealState(key, deps.config.memory.encryption, owner, id, version, content, doc, indexed);

  await tx`
    insert into memory_versions
      (owner_id, memory_id, account_id, version, content_ct, metadata_ct, encrypted, key_id, reason, created_at)
    select owner_id, id, account_id, version, content_ct, metadata_ct, encrypted, key_id, ${reason}, updated_at
    from memories where owner_id = ${owner.ownerId} and id = ${id}`;
  const [updated] = await tx<{ updated_at: Date; old_hashes: string[] }[]>`
    with old as (select doc_len, term_hashes from memories where owner_id = ${owner.ownerId} and id = ${id}),
    upd as (
    update memories set
      content_ct = ${state.content_ct}, metadata_ct = ${state.metadata_ct},
      encrypted = ${state.encrypted}, key_id = ${state.key_id},
      topic_hash = ${state.topic_hash}, category_hash = ${state.category_hash},
      meta_hashes = ${state.meta_hashes}::bigint[],
      content_chars = ${state.content_chars}, doc_len = ${state.doc_len}, importance = ${importance},
      thread_id = ${patch.threadId ?? cur.threadId}, agent_id = ${patch.agentId ?? cur.agentId},
      namespace = ${patch.namespace ?? cur.namespace},
      expires_at = ${patch.expiresAt === undefined ? cur.expiresAt : patch.expiresAt},
      summarized = ${summarized}, pinned = ${patch.pinned ?? cur.pinned}, terms_hash = ${state.terms_hash},
      term_hashes = ${state.term_hashes}::bigint[], version = ${version}, updated_at = now()
    where owner_id = ${owner.ownerId} and id = ${id}
    returning id, doc_len, updated_at
    ), stats as (${moveStats(tx, owner, tx`select upd.id, upd.doc_len - old.doc_len, 0 from upd, old`)})
    select upd.updated_at, old.term_hashes::text[] as old_hashes from upd, old`;
  if (content !== cur.content) {
    await dropPostings(tx, owner, [[id, updated!.old_hashes]]);
    await insertTerms(tx, owner, [[id, terms]]);
    await resetVector(tx, vectorSettings(deps.config), owner, id, version);
  }
  return {
    id,
    content,
    threadId: patch.threadId ?? cur.threadId,
    agentId: patch.agentId ?? cur.agentId,
    namespace: patch.namespace ?? cur.namespace,
    role: cur.role,
    importance,
    tier: cur.tier,
    summarized,
    isSummary: cur.isSummary,
    pinned: patch.pinned ?? cur.pinned,
    supersededBy: cur.supersededBy,
    version,
    createdAt: cur.createdAt,
    updatedAt: updated!.updated_at,
    expiresAt: patch.expiresAt === undefined ? cur.expiresAt : patch.expiresAt,
    ...doc, // last: see domain/objects.ts
  };
}

interface VersionRow {
  memory_id: string;
  version: number;
  content_ct: Uint8Array;
  metadata_ct: Uint8Array;
  encrypted: boolean;
  reason: string;
  created_at: Date;
}

/** Decrypted superseded versions of the given memories, oldest first per memory. */
export async function openVersions(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  ids: string[],
): Promise<Map<string, VersionRecord[]>> {
  const rows = await tx<VersionRow[]>`
    select memory_id, version, content_ct, metadata_ct, encrypted, reason, created_at from memory_versions
    where owner_id = ${owner.ownerId} and memory_id = any(${ids}::uuid[]) order by memory_id, version`;
  const out = new Map<string, VersionRecord[]>();
  if (rows.length === 0) return out;
  const opened = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory_version", (key) =>
    Promise.all(
      rows.map(async (r) => {
        const [content, docText] = await Promise.all([
          unseal(key, r.encrypted, r.content_ct, contentAd(owner.ownerId, r.memory_id, r.version, "content")),
          unseal(key, r.encrypted, r.metadata_ct, contentAd(owner.ownerId, r.memory_id, r.version, "metadata")),
        ]);
        return {
          id: r.memory_id,
          v: {
            version: r.version,
            content,
            metadata: decodeDoc(docText).metadata,
            reason: r.reason,
            createdAt: r.created_at,
          },
        };
      }),
    ),
  );
  for (const { id, v } of opened) {
    const list = out.get(id) ?? [];
    list.push(v);
    out.set(id, list);
  }
  return out;
}
