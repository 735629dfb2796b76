// Verifying the audit chain (DESIGN §7): rows in (shard, seq) order against signed checkpoints, in one
// pass and bounded memory, naming the first row that was modified, removed, moved or cut off.
import {
  asSigner,
  chainHash,
  GENESIS_HASH,
  HEX64,
  verifyCheckpointSignature,
  type AuditRecord,
  type ChainHead,
  type Checkpoint,
  type CheckpointSigner,
} from "./audit-chain.js";
import { overlay } from "./objects.js";

type ChainFaultReason = "modified" | "missing" | "reordered" | "truncated" | "bad_checkpoint";
export interface ChainFault {
  shard: number;
  seq: number; // both -1 for bad_checkpoint (then checkpointId says which)
  id: string | null; // the offending row, null when it does not exist
  reason: ChainFaultReason;
  checkpointId?: number | string;
}
export interface VerifyResult {
  ok: boolean;
  checked: number;
  checkpointsVerified: number;
  firstBad?: ChainFault;
}

// A suspicious row whose final reason depends on rows after it (was it moved, or really gone/edited?).
interface Pending {
  fault: ChainFault;
  needSeq?: number;
  needHash?: string;
  lastSeq: number;
}
interface ShardState {
  shard: number;
  nextSeq: number;
  prev: string;
  lastSeq: number;
  recent: Set<string>;
  pending?: Pending;
}

/**
 * Streaming verifier: feed rows sorted by (shard, seq) with push(), then finish(). Memory is
 * O(checkpoint heads + RECENT_WINDOW), independent of the number of rows. Stops at the first fault;
 * faults are reported in (shard, position) order, checkpoint signatures first (they are the anchor).
 */
export class ChainVerifier {
  static readonly RECENT_WINDOW = 1024; // earlier stored hashes kept to recognise replayed/moved rows
  private fault?: ChainFault;
  private checked = 0;
  private checkpointsVerified = 0;
  private readonly heads = new Map<number, Map<number, string[]>>(); // shard → seq → expected hashes
  private readonly maxHead = new Map<number, number>();
  private readonly anchors = new Map<number, ChainHead>(); // shard → highest pruned-through head
  private readonly todo: number[]; // shards named by checkpoints, visited even if they have no rows
  private cur?: ShardState;

  constructor(checkpoints: Checkpoint[], key: Buffer | CheckpointSigner) {
    const signer = asSigner(key);
    for (const cp of checkpoints) {
      if (!verifyCheckpointSignature(cp, signer)) {
        this.fault = { shard: -1, seq: -1, id: null, reason: "bad_checkpoint", checkpointId: cp.id };
        break;
      }
      this.checkpointsVerified++;
      for (const h of [...cp.heads, ...(cp.prunedThrough ?? [])]) {
        const bySeq = this.heads.get(h.shard) ?? new Map<number, string[]>();
        this.heads.set(h.shard, bySeq.set(h.seq, [...(bySeq.get(h.seq) ?? []), h.hash]));
        this.maxHead.set(h.shard, Math.max(h.seq, this.maxHead.get(h.shard) ?? 0));
      }
      for (const p of cp.prunedThrough ?? []) {
        if (p.seq > (this.anchors.get(p.shard)?.seq ?? 0)) this.anchors.set(p.shard, p);
      }
    }
    this.todo = [...this.maxHead.keys()].sort((a, b) => a - b);
  }

  /** Returns false once a fault is final (the caller may stop reading). */
  push(row: AuditRecord): boolean {
    if (this.fault) return false;
    if (this.cur && row.shard < this.cur.shard)
      return this.fail({ shard: row.shard, seq: row.seq, id: row.id, reason: "reordered" });
    if (!this.cur || row.shard !== this.cur.shard) {
      if (this.cur) this.endShard(this.cur);
      while (!this.fault && this.todo.length > 0 && this.todo[0]! < row.shard)
        this.endShard(this.startEmpty(this.todo.shift()!));
      if (this.fault) return false;
      this.cur = this.startShard(row);
      if (this.fault) return false;
    }
    const s = this.cur;
    if (s.pending) return this.classify(s.pending, row);
    if (row.seq < s.nextSeq) return this.fail({ shard: s.shard, seq: row.seq, id: row.id, reason: "reordered" });
    if (row.seq > s.nextSeq) {
      // Gap: deleted ("missing") unless the absent row turns up later (moved → "reordered").
      s.pending = {
        fault: { shard: s.shard, seq: s.nextSeq, id: null, reason: "missing" },
        needSeq: s.nextSeq,
        needHash: row.prevHash !== s.prev ? row.prevHash : undefined,
        lastSeq: row.seq,
      };
      return true;
    }
    if (row.prevHash !== s.prev) {
      const fault: ChainFault = { shard: s.shard, seq: row.seq, id: row.id, reason: "reordered" };
      // Links to an earlier row other than its predecessor → replayed/moved. Links to a later row → swapped
      // (decided by classify). Otherwise the link itself was edited → "modified".
      if (s.recent.has(row.prevHash)) return this.fail(fault);
      s.pending = { fault: overlay(fault, { reason: "modified" }), needHash: row.prevHash, lastSeq: row.seq };
      return true;
    }
    const expected = this.heads.get(s.shard)?.get(row.seq) ?? [];
    if (tryChainHash(s.prev, row) !== row.hash || expected.some((h) => h !== row.hash)) {
      return this.fail({ shard: s.shard, seq: row.seq, id: row.id, reason: "modified" });
    }
    this.checked++;
    s.recent.add(row.hash);
    if (s.recent.size > ChainVerifier.RECENT_WINDOW) s.recent.delete(s.recent.values().next().value!);
    s.prev = row.hash;
    s.lastSeq = row.seq;
    s.nextSeq = row.seq + 1;
    return true;
  }

  finish(): VerifyResult {
    if (!this.fault && this.cur) this.endShard(this.cur);
    while (!this.fault && this.todo.length > 0) this.endShard(this.startEmpty(this.todo.shift()!));
    const base = { checked: this.checked, checkpointsVerified: this.checkpointsVerified };
    return this.fault ? { ok: false, ...base, firstBad: this.fault } : { ok: true, ...base };
  }

  private fail(f: ChainFault): false {
    this.fault = f;
    return false;
  }

  private classify(p: Pending, row: AuditRecord): boolean {
    const backwards = row.seq <= p.lastSeq || row.seq === p.needSeq;
    p.lastSeq = Math.max(p.lastSeq, row.seq);
    if (backwards) return this.fail(overlay(p.fault, { id: p.fault.id ?? row.id, reason: "reordered" }));
    if (p.needHash !== undefined && row.hash === p.needHash)
      return this.fail(overlay(p.fault, { reason: "reordered" }));
    return true;
  }

  private startEmpty(shard: number): ShardState {
    const a = this.anchors.get(shard);
    return {
      shard,
      nextSeq: (a?.seq ?? 0) + 1,
      prev: a?.hash ?? GENESIS_HASH,
      lastSeq: a?.seq ?? 0,
      recent: new Set(),
    };
  }

  private startShard(row: AuditRecord): ShardState {
    this.todo.splice(0, this.todo.length, ...this.todo.filter((t) => t !== row.shard));
    const a = this.anchors.get(row.shard);
    const s: ShardState = {
      shard: row.shard,
      nextSeq: row.seq,
      prev: GENESIS_HASH,
      lastSeq: row.seq - 1,
      recent: new Set(),
    };
    if (row.seq === 1) return s;
    if (a && a.seq === row.seq - 1) return overlay(s, { prev: a.hash });
    // Retention promised to delete through a.seq but older rows remain: start from the first row's own
    // link; the signed anchor is still checked as a head when its row is reached.
    if (a && a.seq >= row.seq && HEX64.test(row.prevHash)) return overlay(s, { prev: row.prevHash });
    if (a && a.seq >= row.seq) {
      this.fail({ shard: row.shard, seq: row.seq, id: row.id, reason: "modified" });
      return s;
    }
    this.fail({ shard: row.shard, seq: (a?.seq ?? 0) + 1, id: null, reason: "missing" });
    return s;
  }

  private endShard(s: ShardState): void {
    if (this.fault) return;
    if (s.pending) {
      this.fail(s.pending.fault);
      return;
    }
    // A signed head beyond the last surviving row: the newest rows were deleted.
    if ((this.maxHead.get(s.shard) ?? 0) > s.lastSeq)
      this.fail({ shard: s.shard, seq: s.lastSeq + 1, id: null, reason: "truncated" });
  }
}

// A row that cannot even be encoded (e.g. an invalid Date) cannot match its stored hash.
const tryChainHash = (prev: string, row: AuditRecord) => {
  try {
    return chainHash(prev, row);
  } catch {
    return null;
  }
};

/** Verify rows sorted by (shard, seq) against signed checkpoints (order of checkpoints is irrelevant). */
export function verifyChains(
  rows: Iterable<AuditRecord>,
  checkpoints: Checkpoint[],
  key: Buffer | CheckpointSigner,
): VerifyResult {
  const v = new ChainVerifier(checkpoints, key);
  for (const row of rows) if (!v.push(row)) break;
  return v.finish();
}

/** Same, for a DB cursor (e.g. postgres.js `sql`...`.cursor()` flattened to rows). */
export async function verifyChainsAsync(
  rows: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  checkpoints: Checkpoint[],
  key: Buffer | CheckpointSigner,
): Promise<VerifyResult> {
  const v = new ChainVerifier(checkpoints, key);
  for await (const row of rows) if (!v.push(row)) break;
  return v.finish();
}
