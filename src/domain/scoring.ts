// Retrieval score (DESIGN.md §6): a weighted sum of relevance, recency and importance, plus flat
// boosts. The SQL in store/memory-search.ts computes the same formula to ORDER BY it; this module
// is the reference used to build the returned score and its explanation from the parts SQL returns,
// so `score` is by construction the sum of the explained parts.
import type { Config } from "../config.js";

/** The configured search weights (config.ts is their one definition); BM25's own k1/b stay in SQL. */
export type ScoreWeights = Omit<
  Config["memory"]["search"],
  "bm25K1" | "bm25B" | "denseWeight" | "expansionMaxDf" | "expansionPostings" | "commonWordPostings"
>;

/** Raw parts, each in [0, 1] except the boosts, which are the applied boost amounts. */
export interface ScoreParts {
  /** The lexical relevance, or in a hybrid search its fusion with dense (domain/vectors.ts fusedRelevance). */
  relevance: number;
  /** Calibrated lexical relevance (bm25 / bm25Attainable, capped at 1). */
  lexical: number;
  /** Cosine similarity of query and memory embeddings (0 when not among the dense candidates or lexical). */
  dense: number;
  /** What relevance was computed from: the memory's weighted BM25 and the query's attainable BM25. */
  bm25: number;
  bm25Attainable: number;
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

/**
 * Pseudo-documents added to every corpus for idf: the term is assumed absent from them. It keeps idf
 * meaningful for tiny corpora (a user's first memories) and is the prior of the calibration below.
 */
export const IDF_PRIOR_DOCS = 3;

/**
 * Calibrated relevance in [0, 1], comparable across queries and users: the memory's weighted BM25
 * (per query word, its best-matching term times that term's weight) divided by what the query could
 * attain at best, i.e. every query word matched once, with the largest idf possible (that of a term
 * in no other memory), in a memory of average length. So a memory matching all words, each rare, scores
 * near 1; one matching a single word of three scores at most ~1/3; one matching only a word that
 * many memories share scores low, whatever the other results are. Each word's BM25 term frequency
 * part is capped at its value for one occurrence in an average-length memory (1), so repeating a
 * word, or being very short, cannot lift a memory above that reference.
 */
export function calibratedRelevance(bm25: number, queryWords: number, docCount: number): number {
  const attainable = queryWords * bm25Idf(docCount, 0);
  return attainable > 0 ? Math.min(Math.max(bm25 / attainable, 0), 1) : 0;
}

export function explain(parts: ScoreParts, w: ScoreWeights): Explanation {
  const weightedRelevance = w.relevanceWeight * parts.relevance;
  const weightedRecency = w.recencyWeight * parts.recency;
  const weightedImportance = w.importanceWeight * parts.importance;
  return {
    weightedRelevance,
    weightedRecency,
    weightedImportance,
    score: weightedRelevance + weightedRecency + weightedImportance + parts.threadBoost + parts.topicBoost,
    ...parts, // last: see domain/objects.ts
  };
}

/** Okapi BM25 idf (with the +1 that keeps it positive), over the corpus plus IDF_PRIOR_DOCS. */
export function bm25Idf(docCount: number, df: number): number {
  return Math.log(1 + (docCount + IDF_PRIOR_DOCS - df + 0.5) / (df + 0.5));
}

/** One term's BM25 contribution (reference for the SQL; used by tests). */
export function bm25Term(idf: number, tf: number, docLen: number, avgDocLen: number, k1: number, b: number): number {
  return (idf * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * docLen) / Math.max(avgDocLen, 1e-9)));
}
