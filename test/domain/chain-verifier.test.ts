/** Spec: the streaming chain verifier finds the first modified, missing, moved or cut-off row. */
import { describe, expect, it } from "vitest";
import { sealRecord, shardFor, type AuditRecord } from "../../src/domain/audit-chain.js";
import { verifyChains, verifyChainsAsync } from "../../src/domain/chain-verifier.js";
import { build, cp, fields, headOf, heads, KEY, reseal } from "./audit-chain-fixtures.js";

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
