import { describe, expect, it } from "vitest";
import {
  buildIndex,
  decodeVector,
  encodeVector,
  fusedRelevance,
  indexBytes,
  topK,
  vectorProblem,
} from "../../src/domain/vectors.js";
import { WeightedLru } from "../../src/domain/lru.js";

describe("vectors", () => {
  it("round-trips float32 little endian", () => {
    const v = [0.5, -1.25, 3e-8, 1e30];
    const bytes = encodeVector(v);
    expect(bytes.length).toBe(16);
    expect(new DataView(bytes.buffer).getFloat32(0, true)).toBe(0.5);
    expect(Array.from(decodeVector(bytes))).toEqual(Array.from(Float32Array.from(v)));
    expect(() => decodeVector(new Uint8Array(5))).toThrow(RangeError);
  });

  it("names what is wrong with a vector", () => {
    expect(vectorProblem([1, 0], 2)).toBeUndefined();
    expect(vectorProblem([1, 0], 0)).toMatch(/not enabled/);
    expect(vectorProblem([1], 2)).toMatch(/2 numbers/);
    expect(vectorProblem([1, Number.POSITIVE_INFINITY], 2)).toMatch(/finite/);
    expect(vectorProblem([1, 1e39], 2)).toMatch(/finite/); // not representable as float32
    expect(vectorProblem([0, 0], 2)).toMatch(/zeros/);
  });

  it("finds the exact cosine top-k, best first, whatever the vectors' lengths", () => {
    const rows = [
      { id: "a", vector: [1, 0, 0] },
      { id: "b", vector: [10, 10, 0] },
      { id: "c", vector: [0, 0, 5] },
      { id: "d", vector: [-1, 0, 0] },
    ];
    const index = buildIndex(3, rows);
    expect(indexBytes(index)).toBe(4 * 3 * 4 + 4 * 64);
    const hits = topK(index, [2, 0, 0], 3);
    expect(hits.map((h) => h.id)).toEqual(["a", "b", "c"]);
    expect(hits[0]!.similarity).toBeCloseTo(1, 6);
    expect(hits[1]!.similarity).toBeCloseTo(Math.SQRT1_2, 6);
    expect(topK(index, [1, 0, 0], 10).map((h) => h.id)).toEqual(["a", "b", "c", "d"]);
    expect(topK(index, [1, 0], 2)).toEqual([]); // wrong dimension: nothing
    // Brute force agrees on a larger random index.
    const rand = (() => {
      let s = 1;
      return () => {
        s = (s * 16807) % 2147483647;
        return (s / 2147483647) * 2 - 1;
      };
    })();
    const many = Array.from({ length: 500 }, (_, i) => ({ id: `m${i}`, vector: [rand(), rand(), rand(), rand()] }));
    const q = [rand(), rand(), rand(), rand()];
    const cos = (v: number[]) => {
      const dot = v.reduce((s, x, i) => s + x * q[i]!, 0);
      return dot / (Math.hypot(...v) * Math.hypot(...q));
    };
    const expected = [...many].sort((x, y) => cos(y.vector) - cos(x.vector)).slice(0, 20);
    expect(topK(buildIndex(4, many), q, 20).map((h) => h.id)).toEqual(expected.map((e) => e.id));
  });

  it("fuses lexical and dense relevance by the dense weight, negatives as 0", () => {
    expect(fusedRelevance(0.8, 0.4, 0.5)).toBeCloseTo(0.6, 12);
    expect(fusedRelevance(0.8, -0.3, 0.5)).toBeCloseTo(0.4, 12);
    expect(fusedRelevance(0.8, 0.9, 0)).toBe(0.8);
  });
});

describe("WeightedLru", () => {
  it("evicts the least recently used until the weight fits, and refuses an entry above the budget", () => {
    const lru = new WeightedLru<string, number>(10);
    lru.set("a", 1, 4);
    lru.set("b", 2, 4);
    lru.get("a");
    lru.set("c", 3, 4); // evicts b, the least recently used
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual([1, undefined, 3]);
    expect(lru.weight).toBe(8);
    expect(lru.set("big", 4, 11)).toBe(false);
    expect(lru.get("big")).toBeUndefined();
    lru.delete("a");
    expect(lru.weight).toBe(4);
  });
});
