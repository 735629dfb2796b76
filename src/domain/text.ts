// Text analysis for the blind index (DESIGN.md §5/§6). Documents and queries MUST go through the
// same pipeline, because only HMACs of the resulting terms are stored: any difference between
// indexing and querying is an unfindable memory. Changing what analyze() emits means re-indexing:
// `memoric index rebuild` (store/reindex.ts) recomputes every memory's postings and rewrites the
// ones that differ.
//
// Pipeline: NFKC + lower case -> Unicode word segmentation (Intl.Segmenter: dictionary-based for
// Chinese, Japanese, Thai, Khmer...) -> inner apostrophes and separators dropped -> diacritics folded
// in Latin and Greek script ("Käsespätzle" = "kasespatzle", "café" = "cafe") -> stop words out ->
// irregular forms (WordNet exception lists: ran -> run, children -> child, mice -> mouse) -> a
// Snowball stemmer chosen by script (Porter2 for Latin script, Russian for Cyrillic, Greek, Arabic).
// Porter2 is the `porter2` package: it matches Snowball's reference output, ~15x faster than the
// wink-porter2-stemmer used before, which differed on a few y-marking and exceptional forms.
// The segmentation comes from the ICU shipped with Node: a Node upgrade that changes it calls for a
// re-index of CJK/Thai memories (the same job).
import { stemmer as arabicStem } from "@orama/stemmers/arabic";
import { stemmer as greekStem } from "@orama/stemmers/greek";
import { stemmer as russianStem } from "@orama/stemmers/russian";
import { createRequire } from "node:module";
import { stem as porter2 } from "porter2";

export interface Analysis {
  /** term -> frequency in the text */
  terms: Map<string, number>;
  /** number of words kept (after stop words and 1-char words), i.e. BM25 document length */
  length: number;
}

const require = createRequire(import.meta.url);

// Common English function words: they match almost every memory, so they only add noise to BM25
// and leak little information worth hiding. Checked before stemming, on the folded word.
const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have " +
    "having he her here hers herself him himself his how i if in into is it its itself just me more most " +
    "my myself no nor not now of off on once only or other our ours ourselves out over own same she " +
    "should so some such than that the their theirs them themselves then there these they this those " +
    "through to too under until up very was we were what when where which while who whom why will with " +
    "would you your yours yourself yourselves also may might must shall yet via per etc " +
    // contractions, as they come out of the apostrophe rule below ("I'm" -> "im", "can't" -> "cant")
    "im ive youre youve weve theyre hes shes thats theres whats lets dont cant wont isnt arent doesnt didnt " +
    "wasnt werent hasnt havent couldnt shouldnt wouldnt"
  ).split(" "),
);

const SEGMENTER = new Intl.Segmenter("und", { granularity: "word" });
// Inside one segment: apostrophes are dropped ("don't" -> "dont", "user's" -> "users"), other
// non-word characters too ("12,000" -> "12000").
const NOT_WORD_CHAR = /[^\p{L}\p{M}\p{N}]/gu;
const LATIN_OR_GREEK = /^[\p{Script=Latin}\p{Script=Greek}\p{M}\p{N}]+$/u;
const LETTER_FOLDS: Record<string, string> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", đ: "d", ł: "l", þ: "th", ı: "i" };
const HAN = /^\p{Script=Han}+$/u;
const ASCII_WORD = /^[a-z0-9]+$/;
// "user's" -> "user", "children's" -> "children" (then child); "_" separates like a space.
const POSSESSIVE = /(\p{L})['\u2019]s(?![\p{L}\p{N}])/gu;

function fold(word: string): string {
  if (!LATIN_OR_GREEK.test(word)) return word;
  return word
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[ßæœøđłþı]/g, (c) => LETTER_FOLDS[c] ?? c)
    .normalize("NFC");
}

/**
 * The words of a text as the index sees them: segmented, normalized and folded, without stop
 * words and 1-character words (except a Han ideograph, which is a word on its own), in order.
 */
export function words(text: string): string[] {
  if (ASCII_TEXT.test(text)) return asciiWords(text);
  return segmentedWords(text);
}

/** The general path: Unicode normalization and UAX #29 word segmentation (ICU). */
export function segmentedWords(text: string): string[] {
  const out: string[] = [];
  const normalized = text.normalize("NFKC").toLowerCase().replace(POSSESSIVE, "$1").replaceAll("_", " ");
  for (const s of SEGMENTER.segment(normalized)) {
    if (!s.isWordLike) continue;
    // Plain ASCII letters and digits come out of the general path unchanged: skip it (most words).
    const ascii = ASCII_WORD.test(s.segment);
    const w = ascii ? s.segment : fold(s.segment.replace(NOT_WORD_CHAR, ""));
    const chars = ascii ? w.length : [...w].length;
    if (chars === 0 || (chars === 1 && !HAN.test(w)) || STOP_WORDS.has(w)) continue;
    out.push(w);
  }
  return out;
}

const ASCII_TEXT = /^[\x00-\x7f]*$/;
// UAX #29 restricted to ASCII, where NFKC changes nothing: letters and digits join each other
// (WB8-10); ' . : join two letters (WB6/7) and ' . , ; two digits (WB11/12). Anything else breaks.
const ASCII_SEGMENT = /[a-z0-9]+(?:(?:(?<=[a-z])['.:](?=[a-z])|(?<=[0-9])['.,;](?=[0-9]))[a-z0-9]+)*/g;
const ASCII_JOINERS = /['.:,;]/g;
const PLAIN_WORD = /^[a-z0-9]+$/;

/**
 * words() for ASCII text (most memories), without ICU's segmenter: the same words, in a fraction of
 * the time (segmenting was the largest single cost of indexing a batch). A spec checks it against
 * segmentedWords on random text built from every character class the rules above distinguish.
 */
export function asciiWords(text: string): string[] {
  // One plain lower-case word (what query expansion feeds in, once per WordNet relative) is its own
  // segment: the same answer without the regular expressions.
  if (PLAIN_WORD.test(text)) return text.length < 2 || STOP_WORDS.has(text) ? [] : [text];
  const out: string[] = [];
  const lower = text.toLowerCase().replace(POSSESSIVE, "$1");
  for (const [segment] of lower.matchAll(ASCII_SEGMENT)) {
    const w = segment.replace(ASCII_JOINERS, "");
    if (w.length < 2 || STOP_WORDS.has(w)) continue;
    out.push(w);
  }
  return out;
}

type Exceptions = Record<string, string>;
let irregular: Exceptions[] | undefined;

/** WordNet's exception lists (noun, verb, adjective), as shipped by wink-lexicon. */
function exceptionLists(): Exceptions[] {
  irregular ??= ["noun", "verb", "adjective"].map(
    (p) => require(`wink-lexicon/src/wn-${p}-exceptions.js`) as Exceptions,
  );
  return irregular;
}

const IRREGULAR_POS = ["noun", "verb", "adjective"] as const;

/** The base form WordNet lists for an irregular word as one part of speech ("ran" as a verb: "run"). */
export function irregularBase(word: string, pos: (typeof IRREGULAR_POS)[number]): string | undefined {
  const list = exceptionLists()[IRREGULAR_POS.indexOf(pos)]!;
  const base = Object.hasOwn(list, word) ? list[word] : undefined;
  return base !== word ? base : undefined;
}

/** The base forms WordNet lists for an irregular word (e.g. "ran" -> ["run"]), in noun, verb, adjective order. */
export function irregularBases(word: string): string[] {
  const bases: string[] = [];
  for (const pos of IRREGULAR_POS) {
    const base = irregularBase(word, pos);
    if (base && !bases.includes(base)) bases.push(base);
  }
  return bases;
}

const CYRILLIC = /\p{Script=Cyrillic}/u;
const GREEK = /\p{Script=Greek}/u;
const ARABIC = /\p{Script=Arabic}/u;
const LATIN_LETTERS = /^[a-z]+$/;

/** The Snowball stemmer for the word's script; words with digits and other scripts are kept whole. */
export function stem(word: string): string {
  if (/\p{N}/u.test(word)) return word;
  if (LATIN_LETTERS.test(word)) return word.length <= 2 ? word : porter2(word);
  if (CYRILLIC.test(word)) return russianStem(word);
  if (GREEK.test(word)) return greekStem(word);
  if (ARABIC.test(word)) return arabicStem(word);
  return word;
}

/**
 * The index terms of one word: its stem, plus the stems of its irregular base forms, so "ran"
 * meets "run" and "running" whichever side of the index it is on, and an ambiguous form ("leaves":
 * leaf or leave) meets both.
 */
export function wordTerms(word: string): string[] {
  const terms = [stem(word)];
  if (LATIN_LETTERS.test(word))
    for (const base of irregularBases(word)) {
      const t = stem(base);
      if (!terms.includes(t)) terms.push(t);
    }
  return terms.filter((t) => [...t].length >= 2 || HAN.test(t));
}

/**
 * Term frequencies and document length of a memory's text. `memo` (word -> its terms) may be shared
 * by the texts of one call, a batch whose texts repeat most words: stemming is the costly part.
 */
export function analyze(text: string, memo?: Map<string, string[]>): Analysis {
  const terms = new Map<string, number>();
  const list = words(text);
  for (const w of list) {
    let forms = memo?.get(w);
    if (forms === undefined) {
      forms = wordTerms(w);
      memo?.set(w, forms);
    }
    for (const t of forms) terms.set(t, (terms.get(t) ?? 0) + 1);
  }
  return { terms, length: list.length };
}
