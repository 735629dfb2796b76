// Query terms with query-time expansion (DESIGN.md §6). Each word of the query is one GROUP: its own
// terms (stem, irregular bases) with weight 1, plus related words from WordNet with lower weights:
// synonyms, derivations (allergy ~ allergic, marry ~ marriage), pertainyms and similar adjectives,
// and the words one or two levels more specific (hyponyms: vehicle -> car -> estate car) or one level
// more general (hypernym). A memory scores per group with its best-weighted matching term, so a
// word's many relatives never count more than the word itself. Everything here runs at query time
// on the query alone: nothing new is stored, and the index learns no more than which hashes a
// query asked for. Only Latin-script words are expanded (WordNet is English).
import { irregularBase, stem, words, wordTerms } from "./text.js";
import { lookup, synset, type Pointer, type Pos, type Synset } from "./wordnet.js";

export interface QueryTerm {
  term: string;
  /** Index of the query word this term stands for. */
  group: number;
  /** 1 for the word's own terms, < 1 for expansions. */
  weight: number;
}

/** Expansion weights by relation; the n-th sense of a word counts SENSE_DECAY less per rank. */
const EXPANSION_WEIGHTS = {
  synonym: 0.7,
  derivation: 0.6,
  related: 0.5,
  hyponym: 0.5,
  hyponym2: 0.35,
  hypernym: 0.4,
  instance: 0.5,
} as const;
const SENSE_DECAY = 0.1;
const MAX_SENSES = 4;
/** Bounds per query: the number of query words, expansion terms per word and in all. */
const MAX_QUERY_WORDS = 32;
const MAX_EXPANSIONS_PER_WORD = 48;
/** Named instances of a class (city -> Rotterdam, Lisbon...) are few per class but can be hundreds. */
const MAX_INSTANCES_PER_WORD = 1000;
const MAX_TERMS = 1600;
/** Hyponyms are followed only below a synset with at most this many (a specific enough concept). */
const MAX_HYPONYM_FANOUT = 60;

const POS_LIST: Pos[] = ["n", "v", "a", "r"];
const IRREGULAR_OF = { n: "noun", v: "verb", a: "adjective" } as const;
const DETACH: Record<Pos, [string, string][]> = {
  n: [
    ["s", ""],
    ["ses", "s"],
    ["xes", "x"],
    ["zes", "z"],
    ["ches", "ch"],
    ["shes", "sh"],
    ["men", "man"],
    ["ies", "y"],
  ],
  v: [
    ["s", ""],
    ["ies", "y"],
    ["es", "e"],
    ["es", ""],
    ["ed", "e"],
    ["ed", ""],
    ["ing", "e"],
    ["ing", ""],
  ],
  a: [
    ["er", ""],
    ["est", ""],
    ["er", "e"],
    ["est", "e"],
  ],
  r: [],
};

/** WordNet's "morphy": the lemmas a word may be an inflection of, per part of speech. */
function lemmas(word: string): { lemma: string; pos: Pos; synsets: number[] }[] {
  const out: { lemma: string; pos: Pos; synsets: number[] }[] = [];
  for (const pos of POS_LIST) {
    const base = pos === "r" ? undefined : irregularBase(word, IRREGULAR_OF[pos]);
    const forms = new Set(base ? [word, base] : [word]);
    for (const [suffix, repl] of DETACH[pos])
      if (word.endsWith(suffix) && word.length > suffix.length + 1) forms.add(word.slice(0, -suffix.length) + repl);
    for (const lemma of forms) {
      const synsets = lookup(lemma, pos);
      if (synsets.length) out.push({ lemma, pos, synsets });
    }
  }
  return out;
}

function targetWords(p: Pointer): string[] {
  const s = synset(p.pos, p.offset);
  return p.target > 0 ? [s.words[p.target - 1]!] : s.words;
}

interface Related {
  words: Map<string, number>;
  /** Named instances of the word's classes (proper nouns), kept apart: they are many. */
  instances: Map<string, number>;
}

/** Related single words of one word, each with its best weight. */
function related(word: string): Related {
  const found = new Map<string, number>();
  const instances = new Map<string, number>();
  const add = (w: string, weight: number, into = found) => {
    if (w.includes("_") || w === word) return; // multi-word lemmas cannot match one index term
    if ((into.get(w) ?? 0) < weight) into.set(w, weight);
  };
  const hyponyms = (s: Synset, weight: number, depth: number) => {
    for (const p of s.pointers)
      if (p.symbol === "~i")
        for (const w of synset(p.pos, p.offset).words) add(w, EXPANSION_WEIGHTS.instance, instances);
    const down = s.pointers.filter((p) => p.symbol === "~");
    if (down.length > MAX_HYPONYM_FANOUT) return;
    for (const p of down) {
      const child = synset(p.pos, p.offset);
      for (const w of child.words) add(w, weight);
      if (depth > 1) hyponyms(child, EXPANSION_WEIGHTS.hyponym2 * (weight / EXPANSION_WEIGHTS.hyponym), depth - 1);
    }
  };
  const lexemes = lemmas(word);
  // A word with many senses ("take", "call", "run") has unreliable relatives: their weights shrink
  // with the square root of its number of senses (1-4 senses: full weight; 16: half).
  const senses = lexemes.reduce((n, l) => n + l.synsets.length, 0);
  const specificity = Math.min(1, 2 / Math.sqrt(Math.max(senses, 1)));
  for (const { lemma, pos, synsets } of lexemes) {
    synsets.slice(0, MAX_SENSES).forEach((offset, rank) => {
      const f = specificity * (1 - SENSE_DECAY * rank);
      const s = synset(pos, offset);
      const self = s.words.indexOf(lemma) + 1;
      for (const w of s.words) add(w, EXPANSION_WEIGHTS.synonym * f);
      for (const p of s.pointers) {
        const mine = p.source === 0 || p.source === self;
        if (p.symbol === "+" && mine) for (const w of targetWords(p)) add(w, EXPANSION_WEIGHTS.derivation * f);
        else if ((p.symbol === "\\" || p.symbol === "&" || p.symbol === "^" || p.symbol === "<") && mine)
          for (const w of targetWords(p)) add(w, EXPANSION_WEIGHTS.related * f);
        else if (p.symbol === "@" || p.symbol === "@i")
          for (const w of targetWords(p)) add(w, EXPANSION_WEIGHTS.hypernym * f);
      }
      if (pos === "n") hyponyms(s, EXPANSION_WEIGHTS.hyponym * f, 2);
    });
  }
  return { words: found, instances };
}

/**
 * Heaviest first; equal weights in code unit order, the same whatever the server's locale (which
 * localeCompare followed, at ICU's cost: a word with hundreds of relatives sorted them for ~0.1 ms).
 */
function byWeightThenWord(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/**
 * The weighted, grouped terms of a query. With expand off, only the words' own terms (what
 * analyze() emits for the same text), all with weight 1.
 */
export function queryTerms(query: string, opts: { expand?: boolean } = {}): QueryTerm[] {
  const seen = new Set<string>();
  const groups: string[] = [];
  for (const w of words(query)) {
    if (!seen.has(w)) groups.push(w);
    seen.add(w);
  }
  const out: QueryTerm[] = [];
  const best = new Map<string, QueryTerm>();
  const put = (term: string, group: number, weight: number) => {
    const had = best.get(term);
    if (had && had.weight >= weight) return;
    if (had) had.weight = weight;
    else {
      const q = { term, group, weight };
      best.set(term, q);
      out.push(q);
    }
  };
  const kept = groups.slice(0, MAX_QUERY_WORDS);
  kept.forEach((w, g) => {
    for (const t of wordTerms(w)) put(t, g, 1);
  });
  if (opts.expand === false) return out;
  kept.forEach((w, g) => {
    if (!/^[a-z]+$/.test(w)) return;
    const rel = related(w);
    for (const [map, cap] of [
      [rel.words, MAX_EXPANSIONS_PER_WORD],
      [rel.instances, MAX_INSTANCES_PER_WORD],
    ] as const) {
      const ranked = [...map].sort(byWeightThenWord);
      let n = 0;
      for (const [rw, weight] of ranked) {
        if (n >= cap || out.length >= MAX_TERMS) break;
        for (const t of words(rw).map(stem)) {
          put(t, g, weight);
          n++;
        }
      }
    }
  });
  return out;
}
