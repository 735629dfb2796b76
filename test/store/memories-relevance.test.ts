/**
 * Spec: relevance is calibrated on an absolute scale (not normalised by the best result): a memory
 * that shares only one common word with the query scores below 0.3 whatever else matches, a memory
 * that answers the query scores high; min_score on Search and GetContext filters by it; explain
 * shows the raw parts it was computed from. Morphology and expansion find what shares a stem or a
 * related word; other scripts are found by their words.
 */
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { code, useCorpusFixture } from "./memories-fixture.js";

const CORPUS = [
  "The flight to Tokyo leaves at 9 on Monday",
  "Spends time with grandparents every other weekend",
  "Lunch time is usually at noon",
  "Free time goes into woodworking",
  "Bedtime for the kids is at eight",
  "Time zone is Central European Time",
  "Prefers to spend holiday time at the sea",
  "Works part time at the library",
  "Keeps bees in the back garden",
  "Her children ran a charity race last year",
  "Mein Lieblingsessen ist Käsespätzle aus dem Allgäu",
  "来月、京都へ出張します。",
  "Chronic migraine, triggered by red wine",
];

const corpus = useCorpusFixture(CORPUS);

const search = (query: string, extra: Record<string, unknown> = {}) =>
  corpus.f.service.searchMemories({ query, explain: true, topK: 20, ...extra }, corpus.f.ctx(corpus.user));
const relevanceOf = async (query: string) =>
  new Map((await search(query)).results.map((r) => [r.memory!.id, r.explanation!.relevance]));

describe("calibrated relevance", () => {
  it("scores a match on one common word below 0.3, and the memory that answers high", async () => {
    const rel = await relevanceOf("What time does my flight to Tokyo leave?");
    expect(rel.get(corpus.ids[0]!)).toBeGreaterThan(0.5);
    for (const i of [1, 2, 3, 5, 6, 7]) expect(rel.get(corpus.ids[i]!) ?? 0, CORPUS[i]).toBeLessThan(0.3);
    // The common word alone: still low, although it is the best any memory does.
    const alone = await relevanceOf("time");
    expect(Math.max(...alone.values())).toBeLessThan(0.3);
    // A rare word alone: high.
    expect((await relevanceOf("woodworking")).get(corpus.ids[3]!)).toBeGreaterThan(0.6);
  });

  it("explain shows the raw parts: relevance = bm25 / bm25_attainable (capped at 1)", async () => {
    for (const r of (await search("flight to Tokyo at the weekend")).results) {
      const e = r.explanation!;
      expect(e.bm25Attainable).toBeGreaterThan(0);
      expect(e.relevance).toBeCloseTo(Math.min(e.bm25 / e.bm25Attainable, 1), 9);
    }
  });

  it("min_score filters Search by relevance, and GetContext's query matches", async () => {
    const q = "What time does my flight to Tokyo leave?";
    const all = (await search(q)).results.map((r) => r.memory!.id);
    expect(all.length).toBeGreaterThan(3);
    const floored = await search(q, { minScore: 0.3 });
    expect(floored.results.map((r) => r.memory!.id)).toEqual([corpus.ids[0]]);
    expect((await search("", { minScore: 0.1 })).results).toEqual([]);
    const ctx = await corpus.f.service.getContext(
      { query: q, minScore: 0.3 },
      corpus.f.ctx(corpus.user, ["USER"], "getContext"),
    );
    expect(ctx.memoryIds).toContain(corpus.ids[0]);
    for (const i of [1, 2, 3, 5, 6, 7]) expect(ctx.memoryIds).not.toContain(corpus.ids[i]);
  });

  it("rejects a min_score outside 0-1", async () => {
    expect(await code(search("time", { minScore: 1.5 }))).toBe(Code.InvalidArgument);
    expect(await code(search("time", { minScore: -0.1 }))).toBe(Code.InvalidArgument);
  });
});

describe("language-aware matching", () => {
  it("meets irregular forms, derivations and other scripts", async () => {
    expect((await search("children running")).results[0]!.memory!.id).toBe(corpus.ids[9]);
    expect((await search("Lieblingsessen")).results[0]!.memory!.id).toBe(corpus.ids[10]);
    expect((await search("kasespatzle")).results[0]!.memory!.id).toBe(corpus.ids[10]);
    expect((await search("京都")).results.map((r) => r.memory!.id)).toEqual([corpus.ids[11]]);
    const migraine = (await search("headache")).results;
    expect(migraine[0]!.memory!.id).toBe(corpus.ids[12]); // a kind of headache (WordNet hyponym)
    expect(migraine[0]!.explanation!.relevance).toBeLessThan(1);
  });
});

describe("common words in unfiltered searches", () => {
  const scores = async (query: string, extra: Record<string, unknown> = {}) =>
    new Map((await search(query, extra)).results.map((r) => [r.memory!.id, r.explanation!.bm25]));
  // "time" is in six memories; CORPUS order is creation order, so 6 and 7 are its newest.
  const withTime = () => [1, 2, 3, 5, 6, 7].map((i) => corpus.ids[i]!).sort();

  it("reads a word in more than MEMORIC_SEARCH_COMMON_WORD_POSTINGS memories from its newest ones", async () => {
    const exact = await scores("time woodworking");
    try {
      await corpus.f.reopen({ MEMORIC_SEARCH_COMMON_WORD_POSTINGS: "2" });
      expect([...(await scores("time")).keys()].sort()).toEqual([corpus.ids[6], corpus.ids[7]].sort());
      // Memories the query's other words find get the common word's score too, exactly.
      const bounded = await scores("time woodworking");
      expect([...bounded.keys()].sort()).toEqual([corpus.ids[3], corpus.ids[6], corpus.ids[7]].sort());
      for (const [id, bm25] of bounded) expect(bm25).toBeCloseTo(exact.get(id)!, 12);
      // A filtered search reads every posting: its results stay exact.
      const since1970 = { filter: { createdAfter: { seconds: 1n } } };
      expect([...(await scores("time", since1970)).keys()].sort()).toEqual(withTime());
    } finally {
      await corpus.f.reopen();
    }
    expect([...(await scores("time")).keys()].sort()).toEqual(withTime());
  });
});

describe("bounded expansion", () => {
  const found = async (query: string) => (await search(query)).results.map((r) => r.memory!.id);

  it("drops a relative in MEMORIC_SEARCH_EXPANSION_MAX_DF memories or more, never the query's own words", async () => {
    try {
      await corpus.f.reopen({ MEMORIC_SEARCH_EXPANSION_MAX_DF: "2" });
      expect(await found("headache")).toEqual([corpus.ids[12]]); // "migraine": in one memory, under 2
      await corpus.f.reopen({ MEMORIC_SEARCH_EXPANSION_MAX_DF: "1" });
      expect(await found("headache")).toEqual([]);
      expect(await found("migraine")).toEqual([corpus.ids[12]]);
      expect(await found("time")).toHaveLength(6); // a word of the query is read however common
    } finally {
      await corpus.f.reopen();
    }
  });

  it("reads at most MEMORIC_SEARCH_EXPANSION_POSTINGS entries for relatives, the closest first", async () => {
    try {
      await corpus.f.reopen({ MEMORIC_SEARCH_EXPANSION_POSTINGS: "0" });
      expect(await found("headache")).toEqual([]);
      expect(await found("migraine")).toEqual([corpus.ids[12]]);
      await corpus.f.reopen({ MEMORIC_SEARCH_EXPANSION_POSTINGS: "1" });
      expect(await found("headache")).toEqual([corpus.ids[12]]);
    } finally {
      await corpus.f.reopen();
    }
  });
});
