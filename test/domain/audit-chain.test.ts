import { createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  chainHashSplit,
  type AuditRecord,
  type AuditRecordFields,
  type CheckpointSigner,
  DEFAULT_SHARDS,
  GENESIS_HASH,
  canonicalJson,
  canonicalParts,
  canonicalize,
  canonicalizeCheckpoint,
  chainHash,
  shardFor,
  signCheckpoint,
  verifyCheckpointSignature,
} from "../../src/domain/audit-chain.js";
import { verifyChains } from "../../src/domain/chain-verifier.js";
import { build, cp, fields, heads, KEY, T0 } from "./audit-chain-fixtures.js";

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

/** The encoder rows were hashed with before the member-by-member one: sorted keys by Object.keys, JSON values. */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === "function") return referenceCanonicalJson(toJSON.call(value));
  if (Array.isArray(value))
    return `[${Array.from(value, (v) => (v === undefined ? "null" : referenceCanonicalJson(v))).join(",")}]`;
  const members = Object.keys(value)
    .sort()
    .flatMap((k) => {
      const v = (value as Record<string, unknown>)[k];
      return v === undefined ? [] : [`${JSON.stringify(k)}:${referenceCanonicalJson(v)}`];
    });
  return `{${members.join(",")}}`;
}

function randomJson(random: () => number, depth: number): unknown {
  const strings = ["", "a", 'q"uote\\', "naïve \u2028 ✓", "\u0001\t\n", "😀", "zé", "__proto__", "seq", ',"seq":1,'];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const kind = Math.floor(random() * (depth > 2 ? 5 : 8));
  if (kind === 0) return pick(strings);
  if (kind === 1) return pick([0, -0, 1, -17, 1.5, 1e21, 2 ** 53, 1e-7]);
  if (kind === 2) return pick([true, false, null]);
  if (kind === 3) return undefined;
  if (kind === 4) return new Date(Math.floor(random() * 2e12));
  if (kind === 5) return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
  return Object.fromEntries(
    Array.from({ length: Math.floor(random() * 5) }, () => [pick(strings), randomJson(random, depth + 1)]),
  );
}

describe("canonical encoding of a row, member by member", () => {
  it("gives the bytes rows were hashed with before it (pinned)", () => {
    const f = {
      ...fields(5, 42),
      seq: 1234,
      errorMessage: 'naïve \u2028 "q" ✓ \u0001',
      userAgent: undefined,
      details: { b: [1.5, -0, 1e21, null, { y: "é", x: true }], a: new Date(Date.UTC(2025, 1, 2)), zé: "😀" },
    } as unknown as AuditRecordFields;
    expect(chainHash("ab".repeat(32), f)).toBe("b2ea5210d6c8d26f8efbaeaf0d1b5e28ff67fea8a4fd0c24c7a63c78d2d3ab87");
  });

  it("equals canonicalJson of the whole row, and splits exactly around seq, over random rows", () => {
    let state = 7;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const optional = [
      "principalId",
      "service",
      "method",
      "resourceType",
      "resourceId",
      "errorMessage",
      "clientAddress",
    ];
    for (let i = 0; i < 2_000; i++) {
      const f: Record<string, unknown> = { ...fields(i % 16, i), seq: 1 + Math.floor(random() * 2 ** 40) };
      for (const key of optional) if (random() < 0.3) f[key] = random() < 0.5 ? null : undefined;
      f.details = randomJson(random, 1) ?? {};
      f.roles = Array.from({ length: Math.floor(random() * 3) }, () => String(randomJson(random, 3)));
      const row = f as unknown as AuditRecordFields;
      const whole = { v: 1, ...f, time: row.time.toISOString() };
      const text = canonicalize(row).toString("utf8");
      expect(text).toBe(referenceCanonicalJson(whole));
      expect(text).toBe(canonicalJson(whole));
      const [head, tail] = canonicalParts(row);
      expect(head + String(row.seq) + tail).toBe(text);
    }
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
