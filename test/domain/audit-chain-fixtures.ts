/** Audit rows and checkpoints for the chain specs: sealed rows per shard, their heads, signed checkpoints. */
import {
  chainHash,
  sealRecord,
  signCheckpoint,
  type AuditRecord,
  type AuditRecordFields,
  type ChainHead,
  type Checkpoint,
} from "../../src/domain/audit-chain.js";

export const KEY = Buffer.alloc(32, 0x42);
export const T0 = Date.UTC(2025, 0, 1);

export function fields(shard: number, i: number): Omit<AuditRecordFields, "seq"> {
  return {
    id: `00000000-0000-4000-8000-${String(shard * 1000 + i).padStart(12, "0")}`,
    shard,
    time: new Date(T0 + i * 1000 + 7),
    eventType: "memory.created",
    severity: "info",
    principalId: `user-${shard}`,
    principalType: "user",
    roles: ["user", "reader"],
    service: "memoric.v1.MemoryService",
    method: "CreateMemory",
    resourceType: "memory",
    resourceId: `m-${i}`,
    success: true,
    code: "ok",
    errorMessage: null,
    clientAddress: "203.0.113.9",
    userAgent: "vitest",
    requestId: `req-${i}`,
    sessionId: null,
    details: { size: i, tags: ["a", "b"], nested: { z: 1, a: null } },
  };
}

/** `count` rows per shard, in (shard, seq) order. */
export function build(shards: number[], count: number): AuditRecord[] {
  return shards.flatMap((shard) => {
    const rows: AuditRecord[] = [];
    for (let i = 0; i < count; i++) rows.push(sealRecord(rows.at(-1) ?? null, fields(shard, i)));
    return rows;
  });
}

export const headOf = (rows: AuditRecord[], shard: number, seq?: number): ChainHead => {
  const r = rows.filter((x) => x.shard === shard && (seq === undefined || x.seq === seq)).at(-1)!;
  return { shard: r.shard, seq: r.seq, hash: r.hash };
};
export const heads = (rows: AuditRecord[]) => [...new Set(rows.map((r) => r.shard))].map((s) => headOf(rows, s));
export const cp = (id: number, h: ChainHead[], prunedThrough?: ChainHead[]): Checkpoint =>
  signCheckpoint({ id, time: new Date(T0 + id * 60_000), heads: h, prunedThrough }, KEY);
/** Re-seal a row after editing it, as an attacker with DB access but no key could. */
export const reseal = (r: AuditRecord, prevHash = r.prevHash): AuditRecord => ({
  ...r,
  prevHash,
  hash: chainHash(prevHash, r),
});
