/**
 * Spec: reading a common word from its newest postings keeps every result exact, also when more
 * memories match than the search picks candidates (100 by BM25): the memories those postings miss
 * are probed for it, and the results (ids, order, BM25) are those of the search that reads every
 * posting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

const FILLER = ["amber", "birch", "cobalt", "dune", "ember", "fjord", "garnet"];
const SIZE = 260;

const times = (word: string, n: number) => Array<string>(n).fill(word);

/**
 * Memory i: the common word in three of four memories (1-3 times), one of two rarer words (the older
 * half, the newer half; 1-2 times) and 0-4 fillers, so BM25 varies and both halves reach the top.
 */
function text(i: number, [common, older, newer]: readonly string[]): string {
  return [
    ...times(common!, i % 4 === 3 ? 0 : 1 + (i % 3)),
    ...times(i < SIZE / 2 ? older! : newer!, 1 + (i % 2)),
    ...FILLER.slice(0, i % 5),
  ].join(" ");
}

// English words expand to WordNet relatives (several terms per query word); made-up words do not.
const ENGLISH = ["river", "stone", "cedar"];
const MADE_UP = ["zorbix", "quorflat", "plimsk"];

let f: StoreFixture;
let user: string;

beforeAll(async () => {
  f = await openStoreFixture();
  user = await f.newUser();
  const texts = Array.from({ length: SIZE }, (_, i) => [text(i, ENGLISH), text(i, MADE_UP)]).flat();
  for (let at = 0; at < texts.length; at += 100)
    await f.service.batchCreateMemories(
      { memories: texts.slice(at, at + 100).map((content) => ({ content })) },
      f.ctx(user),
    );
});
afterAll(async () => {
  await f?.close();
});

const ranked = async (query: string) =>
  (await f.service.searchMemories({ query, explain: true, topK: 100 }, f.ctx(user))).results.map((r) => ({
    id: r.memory!.id,
    bm25: r.explanation!.bm25,
  }));

describe("a common word read from its newest postings", () => {
  it.each([
    ["expanded words", ENGLISH],
    ["one term per word", MADE_UP],
  ])("gives the exact results when more memories match than are picked (%s)", async (_, words) => {
    const query = words.join(" ");
    const exact = await ranked(query);
    expect(exact).toHaveLength(100);
    try {
      // The common word (in 195 memories) is read from its newest 100 postings; the rarer words (130
      // each) are read in full, so every memory is found, and the older half lacks the common word's
      // score until it is probed.
      await f.reopen({ MEMORIC_SEARCH_COMMON_WORD_POSTINGS: "100" });
      const bounded = await ranked(query);
      expect(bounded.map((r) => r.id)).toEqual(exact.map((r) => r.id));
      bounded.forEach((r, i) => expect(r.bm25).toBeCloseTo(exact[i]!.bm25, 12));
    } finally {
      await f.reopen();
    }
  });
});
