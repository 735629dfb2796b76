import { createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  chainHashSplit,
  type AuditRecord,
  type AuditRecordFields,
  type Checkpoint,
  type CheckpointSigner,
  type ChainHead,
  DEFAULT_SHARDS,
  GENESIS_HASH,
  canonicalJson,
  canonicalize,
  canonicalizeCheckpoint,
  chainHash,
  sealRecord,
  shardFor,
  signCheckpoint,
  verifyChains,
  verifyChainsAsync,
  verifyCheckpointSignature,
} from "../../src/domain/audit-chain.js";

const KEY = Buffer.alloc(32, 0x42);
const T0 = Date.UTC(2025, 0, 1);

function fields(shard: number, i: number): Omit<AuditRecordFields, "seq"> {
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
function build(shards: number[], count: number): AuditRecord[] {
  return shards.flatMap((shard) => {
    const rows: AuditRecord[] = [];
    for (let i = 0; i < count; i++) rows.push(sealRecord(rows.at(-1) ?? null, fields(shard, i)));
    return rows;
  });
}

const headOf = (rows: AuditRecord[], shard: number, seq?: number): ChainHead => {
  const r = rows.filter((x) => x.shard === shard && (seq === undefined || x.seq === seq)).at(-1)!;
  return { shard: r.shard, seq: r.seq, hash: r.hash };
};
const heads = (rows: AuditRecord[]) => [...new Set(rows.map((r) => r.shard))].map((s) => headOf(rows, s));
const cp = (id: number, h: ChainHead[], prunedThrough?: ChainHead[]): Checkpoint =>
  signCheckpoint({ id, time: new Date(T0 + id * 60_000), heads: h, prunedThrough }, KEY);
/** Re-seal a row after editing it, as an attacker with DB access but no key could. */
const reseal = (r: AuditRecord, prevHash = r.prevHash): AuditRecord => ({
  ...r,
  prevHash,
  hash: chainHash(prevHash, r),
});

describe("canonical encoding", () => {
  it("is independent of key insertion order at every level", () => {
    const a = { ...fields(0, 1), seq: 2, details: { b: 1, a: { d: [1, { y: 2, x: 1 }], c: "s" } } };
    const { details: _d, ...rest } = a;
    const reversed = Object.fromEntries(Object.entries(rest).reverse()) as Omit<AuditRecordFields, "details">;
    const b = { ...reversed, details: { a: { c: "s", d: [1, { x: 1, y: 2 }] }, b: 1 } };
    expect(canonicalize(b).equals(canonicalize(a))).toBe(true);
  });

  it("is sorted compact JSON with ISO-8601 ms dates, a version tag, and no hash fields", () => {
    const row = build([3], 1)[0]!;
    const json = canonicalize({ ...row, extraDbColumn: 1 } as AuditRecord).toString("utf8");
    const parsed = JSON.parse(json) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(parsed).toMatchObject({ v: 1, shard: 3, seq: 1, time: "2025-01-01T00:00:00.007Z" });
    expect(parsed).not.toHaveProperty("hash");
    expect(parsed).not.toHaveProperty("prevHash");
    expect(parsed).not.toHaveProperty("extraDbColumn");
    expect(json).not.toMatch(/\s/);
  });

  it("survives a JSON round trip (what a JSONB column gives back)", () => {
    const row = build([0], 1)[0]!;
    const back = JSON.parse(JSON.stringify(row)) as AuditRecord;
    back.time = new Date(back.time);
    expect(chainHash(back.prevHash, back)).toBe(row.hash);
  });

  it("follows JSON semantics for undefined and holes, and refuses what JSON can't round-trip", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is what this test feeds in
    expect(canonicalJson({ b: undefined, a: [undefined, , 1] })).toBe('{"a":[null,null,1]}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => canonicalJson(cyc)).toThrow(TypeError);
  });
});

describe("chain hash", () => {
  it("is sha256(prevHash bytes ‖ canonical(record)) starting from 64 zeros", () => {
    expect(GENESIS_HASH).toBe("0".repeat(64));
    const [r1, r2] = build([0], 2) as [AuditRecord, AuditRecord];
    expect(r1.prevHash).toBe(GENESIS_HASH);
    expect(r1.hash).toBe(createHash("sha256").update(Buffer.alloc(32)).update(canonicalize(r1)).digest("hex"));
    expect(r2).toMatchObject({ seq: 2, prevHash: r1.hash });
  });

  it("rejects a prevHash that is not 64 lowercase hex digits", () => {
    const r = build([0], 1)[0]!;
    expect(() => chainHash("zz".repeat(32), r)).toThrow(TypeError);
    expect(() => chainHash("AB".repeat(32), r)).toThrow(TypeError);
  });
});

describe("shardFor", () => {
  it("is stable (first 4 bytes of sha256 mod N) and in range", () => {
    const want = createHash("sha256").update("user-42").digest().readUInt32BE(0) % 16;
    expect(shardFor("user-42", 16)).toBe(want);
    expect(DEFAULT_SHARDS).toBe(16);
    const used = new Set(Array.from({ length: 1000 }, (_, i) => shardFor(`p-${i}`)));
    expect(Math.min(...used)).toBe(0);
    expect(used.size).toBe(16);
    expect(() => shardFor("x", 0)).toThrow(RangeError);
  });
});

describe("checkpoint signatures", () => {
  const rows = build([0, 1], 3);
  const good = cp(1, heads(rows));

  it("verify with the right key and are independent of head order and id type", () => {
    expect(good.signature).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(verifyCheckpointSignature(good, KEY)).toBe(true);
    expect(verifyCheckpointSignature({ ...good, id: "1", heads: [...good.heads].reverse() }, KEY)).toBe(true);
  });

  it("fail for a wrong key, an edited head or a mangled signature", () => {
    expect(verifyCheckpointSignature(good, Buffer.alloc(32, 1))).toBe(false);
    expect(verifyCheckpointSignature({ ...good, heads: [{ ...good.heads[0]!, seq: 2 }, good.heads[1]!] }, KEY)).toBe(
      false,
    );
    expect(verifyCheckpointSignature({ ...good, signature: "hmac-sha256:00" }, KEY)).toBe(false);
    expect(verifyCheckpointSignature({ ...good, signature: "garbage" }, KEY)).toBe(false);
  });

  it("refuses HMAC keys shorter than 32 bytes", () => {
    expect(() => signCheckpoint({ id: 1, time: new Date(), heads: [] }, Buffer.alloc(16))).toThrow(RangeError);
  });

  it("can use another algorithm through CheckpointSigner (e.g. Ed25519)", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const ed: CheckpointSigner = {
      alg: "ed25519",
      sign: (d) => sign(null, d, privateKey),
      verify: (d, s) => verify(null, d, publicKey, s),
    };
    const signed = signCheckpoint({ id: 1, time: new Date(T0), heads: heads(rows) }, ed);
    expect(signed.signature.startsWith("ed25519:")).toBe(true);
    expect(verifyChains(rows, [signed], ed)).toMatchObject({ ok: true, checkpointsVerified: 1 });
    expect(verifyCheckpointSignature(signed, KEY)).toBe(false); // algorithm mismatch
    expect(canonicalizeCheckpoint(signed).toString()).toContain('"kind":"memoric.audit.checkpoint"');
  });
});

describe("verifyChains", () => {
  const rows = build([0, 1, 2], 10);
  const checkpoint = cp(1, heads(rows));
  const at = (shard: number, seq: number) => rows.findIndex((r) => r.shard === shard && r.seq === seq);

  it("accepts an untouched chain and counts rows and checkpoints", () => {
    expect(verifyChains(rows, [checkpoint], KEY)).toEqual({ ok: true, checked: 30, checkpointsVerified: 1 });
    expect(verifyChains([], [], KEY)).toEqual({ ok: true, checked: 0, checkpointsVerified: 0 });
  });

  it("reports a row with one edited field as modified", () => {
    const t = [...rows];
    t[at(1, 5)] = { ...t[at(1, 5)]!, success: false };
    expect(verifyChains(t, [checkpoint], KEY)).toMatchObject({
      ok: false,
      checked: 14,
      firstBad: { shard: 1, seq: 5, id: rows[at(1, 5)]!.id, reason: "modified" },
    });
    t[at(1, 5)] = { ...rows[at(1, 5)]!, details: { ...rows[at(1, 5)]!.details, size: 999 } };
    expect(verifyChains(t, [], KEY).firstBad).toMatchObject({ shard: 1, seq: 5, reason: "modified" });
  });

  it("reports an edited prevHash link as modified", () => {
    const t = [...rows];
    t[at(0, 3)] = { ...t[at(0, 3)]!, prevHash: "ab".repeat(32) };
    expect(verifyChains(t, [], KEY).firstBad).toMatchObject({ shard: 0, seq: 3, reason: "modified" });
  });

  it("catches a re-sealed rewrite at the first checkpoint head that disagrees", () => {
    const t = [...rows];
    for (let seq = 3; seq <= 10; seq++)
      t[at(2, seq)] = reseal({ ...t[at(2, seq)]!, code: seq === 3 ? "forged" : "ok" }, t[at(2, seq - 1)]!.hash);
    expect(verifyChains(t, [], KEY).ok).toBe(true); // without a signed anchor a full rewrite is undetectable
    const mid = cp(2, [headOf(rows, 2, 8)]);
    expect(verifyChains(t, [mid], KEY).firstBad).toMatchObject({ shard: 2, seq: 8, reason: "modified" });
  });

  it("reports a deleted middle row as missing at its seq", () => {
    const t = rows.filter((_, i) => i !== at(1, 4));
    expect(verifyChains(t, [checkpoint], KEY).firstBad).toEqual({ shard: 1, seq: 4, id: null, reason: "missing" });
  });

  it("reports deleted oldest rows as missing unless a checkpoint records the prune", () => {
    const t = rows.filter((r) => !(r.shard === 0 && r.seq <= 2));
    expect(verifyChains(t, [checkpoint], KEY).firstBad).toEqual({ shard: 0, seq: 1, id: null, reason: "missing" });
  });

  it("reports two swapped rows as reordered at the first swapped position", () => {
    const t = [...rows];
    const [i, j] = [at(1, 6), at(1, 7)];
    t[i] = { ...rows[j]!, seq: 6 };
    t[j] = { ...rows[i]!, seq: 7 };
    expect(verifyChains(t, [checkpoint], KEY).firstBad).toMatchObject({
      shard: 1,
      seq: 6,
      id: rows[j]!.id,
      reason: "reordered",
    });
    const far = [...rows];
    far[at(0, 2)] = { ...rows[at(0, 8)]!, seq: 2 };
    far[at(0, 8)] = { ...rows[at(0, 2)]!, seq: 8 };
    expect(verifyChains(far, [], KEY).firstBad).toMatchObject({ shard: 0, seq: 2, reason: "reordered" });
  });

  it("reports rows delivered out of seq order as reordered", () => {
    const t = [...rows];
    [t[at(2, 4)], t[at(2, 5)]] = [t[at(2, 5)]!, t[at(2, 4)]!];
    expect(verifyChains(t, [], KEY).firstBad).toMatchObject({
      shard: 2,
      seq: 4,
      id: rows[at(2, 4)]!.id,
      reason: "reordered",
    });
    const dup = [...rows.slice(0, at(0, 5) + 1), rows[at(0, 5)]!, ...rows.slice(at(0, 5) + 1)];
    expect(verifyChains(dup, [], KEY).firstBad).toMatchObject({ shard: 0, seq: 5, reason: "reordered" });
  });

  it("reports a row re-linked to an earlier, non-adjacent row as reordered", () => {
    const t = [...rows];
    t[at(0, 8)] = reseal(rows[at(0, 8)]!, rows[at(0, 2)]!.hash);
    expect(verifyChains(t, [], KEY).firstBad).toMatchObject({ shard: 0, seq: 8, reason: "reordered" });
  });

  it("reports the newest rows deleted past a checkpoint as truncated at the first deleted seq", () => {
    const t = rows.filter((r) => !(r.shard === 1 && r.seq >= 8));
    expect(verifyChains(t, [checkpoint], KEY)).toMatchObject({
      ok: false,
      firstBad: { shard: 1, seq: 8, id: null, reason: "truncated" },
    });
    // Rows after the last checkpoint are only as safe as the checkpoint frequency.
    expect(verifyChains(t, [], KEY).ok).toBe(true);
    const noShard0 = rows.filter((r) => r.shard !== 0);
    expect(verifyChains(noShard0, [checkpoint], KEY).firstBad).toEqual({
      shard: 0,
      seq: 1,
      id: null,
      reason: "truncated",
    });
  });

  it("reports a forged or re-keyed checkpoint as bad_checkpoint", () => {
    const forged = { ...checkpoint, id: 2, signature: `hmac-sha256:${"ab".repeat(32)}` };
    expect(verifyChains(rows, [checkpoint, forged], KEY)).toMatchObject({
      ok: false,
      checkpointsVerified: 1,
      firstBad: { shard: -1, seq: -1, id: null, reason: "bad_checkpoint", checkpointId: 2 },
    });
    const moved = { ...checkpoint, heads: checkpoint.heads.map((h) => ({ ...h, seq: h.seq + 5 })) };
    expect(verifyChains(rows, [moved], KEY).firstBad?.reason).toBe("bad_checkpoint");
    expect(verifyChains(rows, [checkpoint], Buffer.alloc(32, 9)).firstBad?.reason).toBe("bad_checkpoint");
  });

  it("accepts a pruned prefix recorded in a signed checkpoint", () => {
    const pruned = cp(2, heads(rows), [headOf(rows, 0, 6), headOf(rows, 1, 10)]);
    const kept = rows.filter((r) => !((r.shard === 0 && r.seq <= 6) || r.shard === 1));
    expect(verifyChains(kept, [checkpoint, pruned], KEY)).toEqual({ ok: true, checked: 14, checkpointsVerified: 2 });
    // Retention that lags behind its own checkpoint is harmless: the surviving rows still link up.
    const lagging = rows.filter((r) => !(r.shard === 0 && r.seq <= 3));
    expect(verifyChains(lagging, [checkpoint, pruned], KEY).ok).toBe(true);
    // Deleting beyond what the checkpoint records is still missing rows.
    const over = rows.filter((r) => !(r.shard === 0 && r.seq <= 7));
    expect(verifyChains(over, [checkpoint, pruned], KEY).firstBad).toEqual({
      shard: 0,
      seq: 7,
      id: null,
      reason: "missing",
    });
    // An unsigned prune claim does not help.
    const fake = { ...pruned, prunedThrough: [headOf(rows, 0, 7)] };
    expect(verifyChains(over, [checkpoint, fake], KEY).firstBad?.reason).toBe("bad_checkpoint");
  });

  it("verifies 16 shards appended concurrently and interleaved", async () => {
    const tails = new Map<number, Promise<AuditRecord | null>>();
    const written: AuditRecord[] = [];
    const tick = () => new Promise<void>((r) => setTimeout(r, Math.random() * 2));
    // Like `SELECT ... FOR UPDATE` on a shard's head row: appends serialize per shard only.
    const append = (principal: string, i: number) => {
      const shard = shardFor(principal);
      const next = (tails.get(shard) ?? Promise.resolve(null)).then(async (prev) => {
        await tick();
        const r = sealRecord(prev, { ...fields(shard, i), principalId: principal });
        written.push(r);
        return r;
      });
      tails.set(shard, next);
      return next;
    };
    await Promise.all(Array.from({ length: 800 }, (_, i) => tick().then(() => append(`user-${i % 97}`, i))));
    expect(new Set(written.map((r) => r.shard)).size).toBe(16);
    const interleaved = written.filter((r, i) => i > 0 && written[i - 1]!.shard !== r.shard);
    expect(interleaved.length).toBeGreaterThan(100);
    const sorted = [...written].sort((a, b) => a.shard - b.shard || a.seq - b.seq);
    const checkpoints = [cp(1, heads(sorted))];
    expect(verifyChains(sorted, checkpoints, KEY)).toEqual({ ok: true, checked: 800, checkpointsVerified: 1 });
    async function* cursor() {
      for (const r of sorted) yield r;
    }
    expect(await verifyChainsAsync(cursor(), checkpoints, KEY)).toMatchObject({ ok: true, checked: 800 });
  });

  it("streams: stops pulling rows soon after the first fault", () => {
    let pulled = 0;
    const t = rows.filter((_, i) => i !== at(0, 2));
    function* gen() {
      for (const r of t) {
        pulled++;
        yield r;
      }
    }
    expect(verifyChains(gen(), [], KEY).firstBad).toMatchObject({ shard: 0, seq: 2, reason: "missing" });
    expect(pulled).toBeLessThan(t.length);
  });
});

describe("chainHashSplit", () => {
  it("equals chainHash over the canonical form split around seq, for any seq", () => {
    for (const [i, seq] of [1, 9, 10, 123_456_789, Number.MAX_SAFE_INTEGER - 1].entries()) {
      const f = { ...fields(3, i), errorMessage: "naïve \u2028 ✓", details: { k: "v", n: [1, "é"] } };
      const text = canonicalize({ ...f, seq }).toString("utf8");
      const at = text.indexOf(`,"seq":${seq},`) + ',"seq":'.length;
      const [head, tail] = [text.slice(0, at), text.slice(at + String(seq).length)];
      const prev = createHash("sha256").update(String(i)).digest("hex");
      expect(chainHashSplit(prev, head, seq, tail)).toBe(chainHash(prev, { ...f, seq }));
    }
  });
});
