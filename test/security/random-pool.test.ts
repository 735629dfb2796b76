import { describe, expect, it } from "vitest";
import { randomBytesPooled } from "../../src/security/random-pool.js";

describe("randomBytesPooled", () => {
  it("returns the requested length, across block boundaries and above the pooled size", () => {
    for (const n of [1, 12, 16, 4000, 5000, 100_000]) expect(randomBytesPooled(n)).toHaveLength(n);
  });

  it("never hands out the same bytes twice, and earlier results stay unchanged", () => {
    const seen = new Set<string>();
    const kept = Array.from({ length: 5000 }, () => randomBytesPooled(12)); // several 8 KiB blocks
    const copies = kept.map((b) => Buffer.from(b).toString("hex"));
    for (let i = 0; i < 2000; i++) randomBytesPooled(16);
    kept.forEach((b, i) => {
      expect(b.toString("hex")).toBe(copies[i]);
      seen.add(copies[i]!);
    });
    expect(seen.size).toBe(kept.length);
  });

  it("looks uniformly random (byte mean near 127.5)", () => {
    const bytes = Buffer.concat(Array.from({ length: 4000 }, () => randomBytesPooled(16)));
    const mean = bytes.reduce((s, b) => s + b, 0) / bytes.length;
    expect(mean).toBeGreaterThan(124);
    expect(mean).toBeLessThan(131);
  });
});
