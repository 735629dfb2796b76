// Retrieval score (DESIGN.md §6): a weighted sum of relevance, recency and importance, plus flat
// boosts. The SQL in store/memory-search.ts computes the same formula to ORDER BY it; this module
// is the reference used to build the returned score and its explanation from the parts SQL returns,
// so `score` is by construction the sum of the explained parts.
import type { Config } from "../config.js";

/** The configured search weights (config.ts is their one definition); BM25's own k1/b stay in SQL. */
export type ScoreWeights = Omit<Config["memory"]["search"], "bm25K1" | "bm25B">;

/** Raw parts, each in [0, 1] except the boosts, which are the applied boost amounts. */
export interface ScoreParts {
  relevance: number;
  recency: number;
  importance: number;
  threadBoost: number;
  topicBoost: number;
}

export interface Explanation extends ScoreParts {
  weightedRelevance: number;
  weightedRecency: number;
  weightedImportance: number;
  score: number;
}

/** low 0, medium 1/3, high 2/3, critical 1 (level is 1..4). */
export function importanceScore(level: number): number {
  return Math.min(Math.max((level - 1) / 3, 0), 1);
}

/** exp(-ln2 * age / half-life): 1 now, 0.5 after one half-life; future timestamps count as now. */
export function recencyScore(ageHours: number, halfLifeHours: number): number {
  return Math.exp((-Math.LN2 * Math.max(ageHours, 0)) / halfLifeHours);
}

/** BM25 normalized by the best BM25 among the compared memories, so the top match has 1. */
export function normalizeRelevance(bm25: number, maxBm25: number): number {
  return maxBm25 > 0 ? Math.min(bm25 / maxBm25, 1) : 0;
}

export function explain(parts: ScoreParts, w: ScoreWeights): Explanation {
  const weightedRelevance = w.relevanceWeight * parts.relevance;
  const weightedRecency = w.recencyWeight * parts.recency;
  const weightedImportance = w.importanceWeight * parts.importance;
  return {
    ...parts,
    weightedRelevance,
    weightedRecency,
    weightedImportance,
    score: weightedRelevance + weightedRecency + weightedImportance + parts.threadBoost + parts.topicBoost,
  };
}

/** Okapi BM25 idf with the +1 that keeps it positive for terms in more than half the documents. */
export function bm25Idf(docCount: number, df: number): number {
  return Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
}

/** One term's BM25 contribution (reference for the SQL; used by tests). */
export function bm25Term(idf: number, tf: number, docLen: number, avgDocLen: number, k1: number, b: number): number {
  return (idf * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * docLen) / Math.max(avgDocLen, 1e-9)));
}
