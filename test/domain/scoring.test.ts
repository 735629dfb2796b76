/** Spec: the score is the weighted sum of its parts plus boosts; each part behaves as documented. */
import { describe, expect, it } from "vitest";
import {
  bm25Idf,
  bm25Term,
  explain,
  importanceScore,
  calibratedRelevance,
  recencyScore,
} from "../../src/domain/scoring.js";

const w = {
  relevanceWeight: 0.6,
  recencyWeight: 0.25,
  importanceWeight: 0.15,
  threadBoost: 0.1,
  topicBoost: 0.05,
  recencyHalfLifeHours: 72,
};

describe("parts", () => {
  it("maps importance low..critical to 0..1", () => {
    expect([1, 2, 3, 4].map(importanceScore)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(importanceScore(0)).toBe(0);
  });
  it("halves recency every half-life and treats the future as now", () => {
    expect(recencyScore(0, 72)).toBe(1);
    expect(recencyScore(72, 72)).toBeCloseTo(0.5, 12);
    expect(recencyScore(144, 72)).toBeCloseTo(0.25, 12);
    expect(recencyScore(-5, 72)).toBe(1);
  });
  it("calibrates relevance against what the query could attain at best", () => {
    const n = 20;
    const rare = bm25Idf(n, 1);
    const best = bm25Idf(n, 0);
    expect(calibratedRelevance(best, 1, n)).toBe(1);
    expect(calibratedRelevance(rare, 1, n)).toBeGreaterThan(0.7); // one rare word, fully matched
    // a word half the memories share, as the only query word: low
    expect(calibratedRelevance(bm25Idf(n, n / 2), 1, n)).toBeLessThan(0.3);
    // one rare word of a three-word query
    expect(calibratedRelevance(rare, 3, n)).toBeLessThan(0.34);
    expect(calibratedRelevance(5 * best, 1, n)).toBe(1);
    expect(calibratedRelevance(1, 0, n)).toBe(0);
  });
  it("follows Okapi BM25: rarer terms and higher tf score more, longer documents less", () => {
    expect(bm25Idf(100, 1)).toBeGreaterThan(bm25Idf(100, 50));
    expect(bm25Idf(100, 100)).toBeGreaterThan(0);
    const idf = bm25Idf(100, 5);
    expect(bm25Term(idf, 2, 10, 10, 1.2, 0.75)).toBeGreaterThan(bm25Term(idf, 1, 10, 10, 1.2, 0.75));
    expect(bm25Term(idf, 1, 5, 10, 1.2, 0.75)).toBeGreaterThan(bm25Term(idf, 1, 20, 10, 1.2, 0.75));
  });
});

describe("explain", () => {
  it("returns weighted parts that add up to the score", () => {
    const e = explain(
      {
        relevance: 0.8,
        lexical: 0.8,
        dense: 0,
        bm25: 2,
        bm25Attainable: 2.5,
        recency: 0.5,
        importance: 2 / 3,
        threadBoost: 0.1,
        topicBoost: 0,
      },
      w,
    );
    expect(e.weightedRelevance).toBeCloseTo(0.48, 12);
    expect(e.weightedRecency).toBeCloseTo(0.125, 12);
    expect(e.weightedImportance).toBeCloseTo(0.1, 12);
    expect(e.score).toBeCloseTo(0.48 + 0.125 + 0.1 + 0.1, 12);
    expect(e.score).toBe(e.weightedRelevance + e.weightedRecency + e.weightedImportance + e.threadBoost + e.topicBoost);
  });
});
