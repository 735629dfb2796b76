/**
 * memory_clusters: per user, groups of memories with equal (topic, category) blind values, with a
 * count and an extractive summary. Names and summary are encrypted (they come from content); the
 * rebuild replaces a user's clusters atomically (delete + insert in one transaction).
 */
import { CLUSTER_SAMPLE, clusterSummary, MAX_CLUSTERS } from "../domain/clusters.js";
import type { DataKey } from "../security/crypto.js";
import type { MemoryStoreDeps } from "./memory-deps.js";
import { labelHash } from "./memory-analysis.js";
import {
  memoryColumns,
  openRow,
  seal,
  unseal,
  uuidv7,
  withDataKey,
  type MemoryRecord,
  type MemoryRow,
} from "./memory-rows.js";
import type { Tx } from "./tx.js";
import type { Owner } from "./owner.js";

export interface ClusterRecord {
  id: string;
  topic: string;
  category: string;
  memoryCount: number;
  summary: string;
  updatedAt: Date;
}

function clusterAd(ownerId: string, id: string) {
  return { table: "memory_clusters", column: "data", rowId: id, ownerId };
}

interface GroupRow extends MemoryRow {
  topic_hash: string | null;
  category_hash: string | null;
  n: number;
}

/** Recomputes the user's clusters inside tx; returns how many were written. */
export async function rebuildClustersTx(deps: MemoryStoreDeps, tx: Tx, key: DataKey, owner: Owner): Promise<number> {
  // Largest groups first; for each, its CLUSTER_SAMPLE most important, most recent memories.
  const rows = await tx<GroupRow[]>`
    with groups as (
      select topic_hash, category_hash, count(*)::int as n from memories
      where owner_id = ${owner.ownerId} and not is_summary
      group by topic_hash, category_hash order by n desc limit ${MAX_CLUSTERS}
    ),
    ranked as (
      select m.id, row_number() over (
        partition by m.topic_hash, m.category_hash order by m.importance desc, m.updated_at desc, m.id desc
      ) as rn
      from memories m
      where m.owner_id = ${owner.ownerId} and not m.is_summary
    )
    select ${memoryColumns(tx)}, m.topic_hash, m.category_hash, g.n
    from ranked r join memories m on m.owner_id = ${owner.ownerId} and m.id = r.id
    join groups g
      on g.topic_hash is not distinct from m.topic_hash and g.category_hash is not distinct from m.category_hash
    where r.rn <= ${CLUSTER_SAMPLE}
    order by g.n desc, m.topic_hash, m.category_hash, r.rn`;
  const opened = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory", (k) =>
    Promise.all(rows.map((r) => openRow(k, r))),
  );
  const groups = new Map<
    string,
    { topicHash: string | null; categoryHash: string | null; n: number; members: MemoryRecord[] }
  >();
  rows.forEach((r, i) => {
    const k = `${r.topic_hash}|${r.category_hash}`;
    const g = groups.get(k) ?? { topicHash: r.topic_hash, categoryHash: r.category_hash, n: r.n, members: [] };
    g.members.push(opened[i]!);
    groups.set(k, g);
  });
  const inserts = await Promise.all(
    [...groups.values()].map(async (g) => {
      const id = uuidv7();
      const first = g.members[0]!;
      const data = JSON.stringify({
        topic: first.topic,
        category: first.category,
        summary: clusterSummary(g.members.map((m) => m.content)),
      });
      const sealed = await seal(key, deps.config.memory.encryption, data, clusterAd(owner.ownerId, id));
      return {
        id,
        account_id: owner.accountId,
        owner_id: owner.ownerId,
        topic_hash: g.topicHash,
        category_hash: g.categoryHash,
        memory_count: g.n,
        data_ct: sealed.ct,
        encrypted: sealed.encrypted,
        key_id: sealed.keyId,
      };
    }),
  );
  await tx`delete from memory_clusters where owner_id = ${owner.ownerId}`;
  if (inserts.length > 0) {
    const columns = [
      "id",
      "account_id",
      "owner_id",
      "topic_hash",
      "category_hash",
      "memory_count",
      "data_ct",
      "encrypted",
      "key_id",
    ] as const;
    await tx`insert into memory_clusters ${tx(inserts, ...columns)}`;
  }
  return inserts.length;
}

export async function listClusters(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  topic: string,
  limit: number,
): Promise<ClusterRecord[]> {
  const key = await deps.keys.load(tx, owner.ownerId);
  if (!key) return [];
  const topicHash = topic ? labelHash(key.blindIndexKey(), "topic", topic) : null;
  const rows = await tx<
    { id: string; memory_count: number; data_ct: Uint8Array; encrypted: boolean; updated_at: Date }[]
  >`
    select id, memory_count, data_ct, encrypted, updated_at from memory_clusters
    where owner_id = ${owner.ownerId} ${topic ? tx`and topic_hash = ${topicHash}::bigint` : tx``}
    order by memory_count desc, id limit ${limit}`;
  return withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory_cluster", (k) =>
    Promise.all(
      rows.map(async (r) => {
        const d = JSON.parse(await unseal(k, r.encrypted, r.data_ct, clusterAd(owner.ownerId, r.id))) as {
          topic: string;
          category: string;
          summary: string;
        };
        return {
          id: r.id,
          topic: d.topic,
          category: d.category,
          summary: d.summary,
          memoryCount: r.memory_count,
          updatedAt: r.updated_at,
        };
      }),
    ),
  );
}
