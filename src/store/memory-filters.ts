/**
 * MemoryFilter -> SQL conditions on `memories m`. Topic, category and metadata are compared through
 * their blind values (the database never sees the labels), everything else directly.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { Tx } from "./tx.js";
import { labelHash, metaHashes } from "./memory-analysis.js";

export interface MemoryFilterInput {
  threadId?: string;
  agentId?: string;
  namespace?: string;
  /** 1-3; 0/undefined = any. */
  tier?: number;
  topic?: string;
  category?: string;
  /** Inclusive. */
  createdAfter?: Date;
  /** Exclusive. */
  createdBefore?: Date;
  metadata?: JsonObject;
  /** 1-4; 0/undefined = any. */
  minImportance?: number;
  /** Only memories no newer memory superseded (search and context always ask for it). */
  live?: boolean;
  /** Only core memories: pinned or CRITICAL. */
  core?: boolean;
}

export function isEmptyFilter(f: MemoryFilterInput): boolean {
  return (
    !f.threadId &&
    !f.agentId &&
    !f.namespace &&
    !f.tier &&
    !f.topic &&
    !f.category &&
    !f.createdAfter &&
    !f.createdBefore &&
    !f.minImportance &&
    !f.core &&
    (f.metadata === undefined || Object.keys(f.metadata).length === 0)
  );
}

type Fragment = ReturnType<Tx>;

/** `and ...` conditions (possibly none). indexKey is undefined for a user who never wrote. */
export function filterSql(tx: Tx, indexKey: Uint8Array | undefined, f: MemoryFilterInput): Fragment {
  const parts: Fragment[] = [];
  if (f.threadId) parts.push(tx`and m.thread_id = ${f.threadId}`);
  if (f.agentId) parts.push(tx`and m.agent_id = ${f.agentId}`);
  if (f.namespace) parts.push(tx`and m.namespace = ${f.namespace}`);
  if (f.tier) parts.push(tx`and m.tier = ${f.tier}`);
  if (f.minImportance) parts.push(tx`and m.importance >= ${f.minImportance}`);
  if (f.live) parts.push(tx`and m.superseded_by is null`);
  if (f.core) parts.push(tx`and (m.pinned or m.importance = 4)`);
  if (f.createdAfter) parts.push(tx`and m.created_at >= ${f.createdAfter}`);
  if (f.createdBefore) parts.push(tx`and m.created_at < ${f.createdBefore}`);
  const labels: [string | undefined, "topic" | "category"][] = [
    [f.topic, "topic"],
    [f.category, "category"],
  ];
  for (const [value, kind] of labels) {
    if (!value) continue;
    const h = indexKey ? labelHash(indexKey, kind, value) : null;
    if (h === null) parts.push(tx`and false`);
    else if (kind === "topic") parts.push(tx`and m.topic_hash = ${h}::bigint`);
    else parts.push(tx`and m.category_hash = ${h}::bigint`);
  }
  if (f.metadata && Object.keys(f.metadata).length > 0) {
    if (!indexKey) parts.push(tx`and false`);
    else parts.push(tx`and m.meta_hashes @> ${metaHashes(indexKey, f.metadata)}::bigint[]`);
  }
  return parts.reduce((acc, p) => tx`${acc} ${p}`, tx``);
}
