/**
 * Spec: the BM25 that search computes in SQL is the reference formula (domain/scoring.ts) over the
 * owner's counts: per query word, the best of its terms (weight × idf × the tf part capped at 1), summed
 * over the words. Checked against a recomputation from the texts, for words that are their own only
 * term and for a word whose expansions (stem, WordNet relatives) share its group.
 */
import { expect, it } from "vitest";
import { queryTerms } from "../../src/domain/query-terms.js";
import { bm25Idf, bm25Term } from "../../src/domain/scoring.js";
import { analyze } from "../../src/domain/text.js";
import { useCorpusFixture } from "./memories-fixture.js";

const CORPUS = [
  "zorblat quintex zorblat",
  "quintex marvolo",
  "a long memory about zorblat with many other words in it to stretch its length",
  "the dog chased a puppy around the garden",
  "our puppy sleeps all day",
  "a hound and a dog and a dog",
  "nothing to see here",
];

const corpus = useCorpusFixture(CORPUS);

/** BM25 of every memory for the query, recomputed from the texts. */
function expected(query: string): Map<string, number> {
  const { bm25K1: k1, bm25B: b } = corpus.f.config.memory.search;
  const docs = CORPUS.map((text) => analyze(text));
  const avgdl = docs.reduce((sum, d) => sum + d.length, 0) / docs.length;
  const df = (term: string) => docs.filter((d) => d.terms.has(term)).length;
  const out = new Map<string, number>();
  docs.forEach((d, i) => {
    const best = new Map<number, number>();
    for (const { term, group, weight } of queryTerms(query)) {
      const tf = d.terms.get(term);
      if (!tf) continue;
      const part = weight * bm25Idf(docs.length, df(term)) * Math.min(bm25Term(1, tf, d.length, avgdl, k1, b), 1);
      best.set(group, Math.max(best.get(group) ?? 0, part));
    }
    if (best.size > 0)
      out.set(
        corpus.ids[i]!,
        [...best.values()].reduce((x, y) => x + y, 0),
      );
  });
  return out;
}

async function computed(query: string): Promise<Map<string, number>> {
  const res = await corpus.f.service.searchMemories({ query, explain: true, topK: 20 }, corpus.f.ctx(corpus.user));
  return new Map(res.results.map((r) => [r.memory!.id, r.explanation!.bm25]));
}

it.each([["zorblat quintex"], ["marvolo zorblat quintex"], ["dog"], ["dog garden puppy"]])(
  "%s: every match, with the reference BM25",
  async (query) => {
    const want = expected(query);
    const got = await computed(query);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [id, score] of want) expect(got.get(id), CORPUS[corpus.ids.indexOf(id)]).toBeCloseTo(score, 9);
  },
);

it("counts a word once, by its best term, however many of its relatives a memory holds", () => {
  // The premise of the grouped path: "dog" carries relatives that the corpus uses.
  const dog = queryTerms("dog").map((t) => t.term);
  expect(dog).toEqual(expect.arrayContaining(["dog", "puppi", "hound"]));
  const [both, single] = [expected("dog").get(corpus.ids[5]!)!, expected("dog").get(corpus.ids[4]!)!];
  expect(both).toBeGreaterThan(single); // "dog" itself beats its relative "puppy"
});
