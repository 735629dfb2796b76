// Text analysis for the blind index (DESIGN.md §5/§6). Documents and queries MUST go through the
// same pipeline, because only HMACs of the resulting terms are stored: any difference between
// indexing and querying is an unfindable memory. Changing this pipeline means reindexing, so keep
// it deterministic and boring (no locale-dependent calls, no dictionaries).

export interface Analysis {
  /** term -> frequency in the text */
  terms: Map<string, number>;
  /** number of tokens kept (after stop words and 1-char tokens), i.e. BM25 document length */
  length: number;
}

// Common English function words: they match almost every memory, so they only add noise to BM25
// and leak little information worth hiding. Checked before stemming.
const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have " +
    "having he her here hers herself him himself his how i if in into is it its itself just me more most " +
    "my myself no nor not now of off on once only or other our ours ourselves out over own same she " +
    "should so some such than that the their theirs them themselves then there these they this those " +
    "through to too under until up very was we were what when where which while who whom why will with " +
    "would you your yours yourself yourselves also may might must shall yet via per etc"
  ).split(" "),
);

// Letters (incl. combining marks, which many scripts need inside words) and digits form tokens;
// everything else separates them.
const SEPARATOR = /[^\p{L}\p{M}\p{N}]+/u;
// Apostrophes inside words are dropped rather than split on ("don't" -> "dont", "user's" ->
// "users" -> "user"), otherwise contractions would produce meaningless 1-char tokens.
const INNER_APOSTROPHE = /(?<=[\p{L}\p{N}])['\u2019](?=[\p{L}\p{N}])/gu;

const VOWEL = /[aeiouy]/;
const UNDOUBLE = /(bb|dd|gg|mm|nn|pp|rr|tt)$/;

/**
 * A deliberately small English suffix stripper (not Porter): one plural rule OR one of
 * -ing/-ed/-ly, then undoubling and a final -e strip so that "make/making/makes" and
 * "store/stored/storing/stores" meet. Examples (documented in tests):
 *   allergies -> allergy, allergy -> allergy, allergic -> allergic (no -ic rule: not merged)
 *   running -> run, stopped -> stop, quickly -> quick, boxes -> box, classes -> class
 * Known misses: cookies -> cooky vs cookie -> cooki; agree/agreed; use/used/using (stem too short).
 * Only applied to letter-only tokens (never to numbers or identifiers with digits).
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\p{N}/u.test(word)) return word;
  let w = word;
  let stripped = false;
  if (w.endsWith("ies") && w.length >= 5) {
    w = w.slice(0, -3) + "y";
  } else if (w.endsWith("sses")) {
    w = w.slice(0, -2);
  } else if (/(x|ch|sh|zz)es$/.test(w)) {
    w = w.slice(0, -2);
  } else if (w.endsWith("s") && !/(ss|us|is)$/.test(w)) {
    w = w.slice(0, -1);
  } else {
    // -ing/-ed/-ly only when a real stem (>= 3 chars, has a vowel) remains: keeps "thing",
    // "bring", "need", "early", "reply" intact. "-eed" words (speed, agreed) are left alone.
    const m = /^(.*?)(ing|ed|ly)$/.exec(w);
    if (m && m[1] !== undefined && m[1].length >= 3 && VOWEL.test(m[1])) {
      const [, base, suffix] = m;
      // -ly needs a 4-char stem ("early") and skips y-words whose plural is -ies (family, reply,
      // assembly, butterfly), so singular and plural still meet.
      const blocked =
        (suffix === "ed" && base.endsWith("e")) || (suffix === "ly" && (base.length < 4 || /[ipbf]$/.test(base)));
      if (!blocked) {
        w = base;
        stripped = true;
      }
    }
  }
  if (stripped && w.length > 3 && UNDOUBLE.test(w)) w = w.slice(0, -1); // runn -> run, but add stays
  if (w.endsWith("e") && w.length >= 4) w = w.slice(0, -1); // make/making -> mak, horse/horses -> hors
  return w;
}

/** Splits, filters and stems; returns the terms in text order (with repeats). */
function tokens(text: string): string[] {
  const normalized = text.normalize("NFKC").toLowerCase().replace(INNER_APOSTROPHE, "");
  const out: string[] = [];
  for (const raw of normalized.split(SEPARATOR)) {
    // Length in code points, so one astral character (e.g. a CJK ideograph) counts as one.
    if ([...raw].length < 2 || STOP_WORDS.has(raw)) continue;
    const term = stem(raw);
    if ([...term].length >= 2) out.push(term);
  }
  return out;
}

/** Term frequencies and document length of a memory's text. */
export function analyze(text: string): Analysis {
  const terms = new Map<string, number>();
  const list = tokens(text);
  for (const t of list) terms.set(t, (terms.get(t) ?? 0) + 1);
  return { terms, length: list.length };
}

/** Unique query terms, in first-occurrence order, through exactly the same pipeline. */
export function queryTerms(query: string): string[] {
  return [...new Set(tokens(query))];
}
