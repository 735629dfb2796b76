import { describe, expect, it } from "vitest";
import { analyze } from "../../src/domain/text.js";
import { blindFingerprint, blindTerms } from "../../src/security/blind-index.js";
import { TermIndexer } from "../../src/store/memory-analysis.js";

const key = new Uint8Array(32).fill(7);

/** The index of one text computed from scratch, with nothing remembered. */
function fresh(text: string) {
  const { terms, length } = analyze(text);
  const blind = blindTerms(key, terms);
  return {
    hashes: blind.map((t) => t.hash.toString()),
    tfs: blind.map((t) => t.tf),
    docLen: length,
    fingerprint: blindFingerprint(key, terms.keys()),
  };
}

describe("TermIndexer", () => {
  const texts = [
    "The user ran to the store and is running late",
    "Running shoes: the user runs every morning; ran 5 km yesterday",
    "Leaves fall; she leaves at noon",
    "Пользователь любит чай и кофе",
    "",
    "the user ran to the store and is running late",
  ];

  it("indexes every text of a call exactly as a fresh analysis would, repeated words included", () => {
    const indexer = new TermIndexer(key);
    for (const text of [...texts, ...texts]) expect(indexer.index(text)).toEqual(fresh(text));
  });

  it("keeps indexing correctly past its memory bound", () => {
    const indexer = new TermIndexer(key);
    const many = Array.from({ length: 1200 }, (_, i) =>
      Array.from({ length: 100 }, (_, j) => `w${i}x${j}`.replace(/\d/g, (d) => "abcdefghij"[Number(d)]!)).join(" "),
    );
    for (const text of many) indexer.index(text);
    expect(indexer.index(texts[1]!)).toEqual(fresh(texts[1]!));
    expect(indexer.index(many[0]!)).toEqual(fresh(many[0]!));
  });

  it("hashes under its own key only", () => {
    const other = new TermIndexer(new Uint8Array(32).fill(8));
    expect(other.index(texts[0]!).hashes).not.toEqual(fresh(texts[0]!).hashes);
  });
});
