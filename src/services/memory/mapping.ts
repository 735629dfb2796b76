/** Store records -> memoric.v1 messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ClusterSchema,
  MemorySchema,
  MemoryVersionSchema,
  ScoreExplanationSchema,
  ScoredMemorySchema,
  type ChatRole,
  type Cluster,
  type Importance,
  type Memory,
  type MemoryTier,
  type MemoryVersion,
  type ScoredMemory,
} from "../../../gen/memoric/v1/memory_pb.js";
import type { ClusterRecord } from "../../store/clusters.js";
import type { CreateResult, MemoryRecord, VersionRecord } from "../../store/memories.js";
import type { CreateOneResult, CreateOptions } from "../../store/memory-supersede.js";
import type { AuditedOutcome, Described, TxScope } from "../audited-tx.js";
import type { PreparedMemory } from "../../store/memory-write.js";
import type { Owner } from "../../store/owner.js";
import { ownerScope } from "../owners.js";
import type { ScoredRecord } from "../../store/memory-search.js";
import { overlay } from "../../domain/objects.js";

/** `endUserId`: the backend's id of the end user it belongs to ("" for the account's own memories). */
export function toMemory(m: MemoryRecord, endUserId: string): Memory {
  return create(MemorySchema, {
    id: m.id,
    endUserId,
    content: m.content,
    threadId: m.threadId,
    agentId: m.agentId,
    namespace: m.namespace,
    metadata: m.metadata,
    importance: m.importance as Importance,
    topic: m.topic,
    category: m.category,
    role: m.role as ChatRole,
    tier: m.tier as MemoryTier,
    entities: m.entities,
    summarized: m.summarized,
    isSummary: m.isSummary,
    pinned: m.pinned,
    supersededBy: m.supersededBy ?? "",
    version: m.version,
    createdAt: timestampFromDate(m.createdAt),
    updatedAt: timestampFromDate(m.updatedAt),
    ...(m.expiresAt ? { expiresAt: timestampFromDate(m.expiresAt) } : {}),
  });
}

export function toVersion(v: VersionRecord): MemoryVersion {
  return create(MemoryVersionSchema, {
    version: v.version,
    content: v.content,
    metadata: v.metadata,
    reason: v.reason,
    createdAt: timestampFromDate(v.createdAt),
  });
}

export function toScored(r: ScoredRecord, withExplanation: boolean, endUserId: string): ScoredMemory {
  const e = r.explanation;
  return create(ScoredMemorySchema, {
    memory: toMemory(r.memory, endUserId),
    score: r.score,
    ...(withExplanation
      ? {
          explanation: create(ScoreExplanationSchema, {
            relevance: e.relevance,
            recency: e.recency,
            importance: e.importance,
            threadBoost: e.threadBoost,
            topicBoost: e.topicBoost,
            weightedRelevance: e.weightedRelevance,
            weightedRecency: e.weightedRecency,
            weightedImportance: e.weightedImportance,
            bm25: e.bm25,
            bm25Attainable: e.bm25Attainable,
            lexicalRelevance: e.lexical,
            dense: e.dense,
          }),
        }
      : {}),
  });
}

export function toCluster(c: ClusterRecord): Cluster {
  return create(ClusterSchema, {
    id: c.id,
    topic: c.topic,
    category: c.category,
    memoryCount: c.memoryCount,
    summary: c.summary,
    updatedAt: timestampFromDate(c.updatedAt),
  });
}

/** CreateMemory / BatchCreateMemories' audit row: one id when a single memory, counts of written and replayed. */
function created(r: CreateResult): AuditedOutcome {
  const written = r.replayed.filter((x) => !x).length;
  return {
    resourceType: "memory",
    ...(r.memories.length === 1 ? { resourceId: r.memories[0]!.id } : {}),
    details: { count: written, replayed: r.memories.length - written },
  };
}

/**
 * withAuditedTx's outcome and scope for inserting `prepared`: without idempotency keys every item is
 * inserted by the one statement, so the row is known up front and is sent right behind the insert
 * (one round trip less); with keys it depends on what was replayed.
 */
export function createdOutcome(
  prepared: readonly PreparedMemory[],
  owner: Owner,
): [Described<AuditedOutcome, CreateResult>, TxScope] {
  const scope = ownerScope(owner);
  if (prepared.some((p) => p.idempotencyHash !== null)) return [(r: CreateResult) => created(r), scope];
  const outcome: AuditedOutcome = {
    resourceType: "memory",
    ...(prepared.length === 1 ? { resourceId: prepared[0]!.id } : {}),
    details: { count: prepared.length, replayed: 0 },
  };
  return [outcome, overlay(scope, { singleStatement: true })];
}

/**
 * CreateMemory's outcome and scope. Without dedupe and idempotency key the store runs ONE statement
 * (insert, duplicate look-up, supersession; a missing superseded id fails the transaction), so the
 * row is known up front and rides right behind it; otherwise it is described from the result (a
 * replay, or a merge naming another memory).
 */
export function createOutcome(
  prepared: PreparedMemory,
  opts: CreateOptions,
  owner: Owner,
): [Described<AuditedOutcome, CreateOneResult>, TxScope] {
  const scope = ownerScope(owner);
  if (opts.dedupe || prepared.idempotencyHash !== null) {
    const describe = (r: CreateOneResult) => {
      const outcome = created(r);
      return overlay(outcome, {
        details: overlay(outcome.details ?? {}, { merged: r.merged, superseded: r.superseded }),
      });
    };
    return [describe, scope];
  }
  const details = { count: 1, replayed: 0, merged: false, superseded: opts.supersedes.length };
  return [{ resourceType: "memory", resourceId: prepared.id, details }, overlay(scope, { singleStatement: true })];
}
