import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { queryTerms } from "../../src/domain/query-terms.js";
import { analyze } from "../../src/domain/text.js";
import { blindTerm, blindTerms } from "../../src/security/blind-index.js";
import { DataKey } from "../../src/security/crypto.js";

const key = new Uint8Array(32).fill(1);

describe("blindTerm", () => {
  it("is stable for the same key and term", () => {
    expect(blindTerm(key, "allergy")).toBe(blindTerm(key, "allergy"));
    expect(typeof blindTerm(key, "allergy")).toBe("bigint");
  });

  it("matches known vectors (HMAC-SHA256, first 8 bytes, signed big-endian)", () => {
    // Pins the on-disk format (vectors computed independently with Python's hmac module):
    // changing it silently would make every stored index unsearchable.
    expect(blindTerm(key, "allergy")).toBe(8479193653884742626n); // 0x75ac25b4198bebe2
    expect(blindTerm(key, "x")).toBe(-7321404484903441457n); // high bit set -> negative
  });

  it("differs across keys and across terms", () => {
    const other = new Uint8Array(32).fill(2);
    expect(blindTerm(key, "allergy")).not.toBe(blindTerm(other, "allergy"));
    expect(blindTerm(key, "allergy")).not.toBe(blindTerm(key, "allergic"));
  });

  it("produces negative values too (fits a Postgres bigint)", () => {
    const values = Array.from({ length: 64 }, (_, i) => blindTerm(key, `term${i}`));
    expect(values.some((v) => v < 0n)).toBe(true);
    expect(values.some((v) => v > 0n)).toBe(true);
  });

  it("rejects short keys", () => {
    expect(() => blindTerm(new Uint8Array(8), "x")).toThrow();
  });
});

describe("blindTerms with the text pipeline", () => {
  it("maps each term to its hash and frequency", () => {
    const { terms } = analyze("peanut allergy, peanuts allergies");
    const blinded = blindTerms(key, terms);
    expect(blinded).toEqual([
      { hash: blindTerm(key, "peanut"), tf: 2 },
      { hash: blindTerm(key, "allergi"), tf: 2 },
    ]);
  });

  it("'allergies' finds 'allergy' by stem, and 'allergic' only through a lower-weight expansion", () => {
    const docHashes = (text: string) => new Set(blindTerms(key, analyze(text).terms).map((t) => t.hash));
    const q = queryTerms("allergies").map((t) => ({ hash: blindTerm(key, t.term), weight: t.weight }));
    const best = (text: string) => Math.max(0, ...q.filter((t) => docHashes(text).has(t.hash)).map((t) => t.weight));
    expect(best("has a peanut allergy")).toBe(1);
    expect(best("is allergic to peanuts")).toBeGreaterThan(0);
    expect(best("is allergic to peanuts")).toBeLessThan(1);
  });

  it("uses a per-user key from the DataKey: users' hashes are unrelated, stable across reloads", async () => {
    const alice = await DataKey.generate();
    const bob = await DataKey.generate();
    expect(blindTerm(alice.blindIndexKey(), "allergy")).not.toBe(blindTerm(bob.blindIndexKey(), "allergy"));
    const aliceAgain = await DataKey.fromBytes(alice.toBytes());
    expect(blindTerm(aliceAgain.blindIndexKey(), "allergy")).toBe(blindTerm(alice.blindIndexKey(), "allergy"));
    expect(blindTerm(randomBytes(32), "allergy")).not.toBe(blindTerm(alice.blindIndexKey(), "allergy"));
  });
});
