// Metadata without an LLM: topic, category, importance and entities derived
// deterministically from the content. Caller-supplied values always win; these only fill gaps.
// Everything here is pure and locale-independent so the same content always yields the same values.

/** Importance levels, numerically equal to the proto enum (1 low .. 4 critical). */
export const IMPORTANCE = { low: 1, medium: 2, high: 3, critical: 4 } as const;
export type ImportanceLevel = 1 | 2 | 3 | 4;

export interface DerivedMetadata {
  topic: string;
  category: string;
  importance: ImportanceLevel;
  entities: string[];
}

// Words that are poor topics even though they are not grammatical stop words: verbs of liking and
// saying, intensifiers, and conversational filler.
const NON_TOPIC = new Set(
  (
    "i me my we our you your he she it they them a an the and or but if then so to of in on at by for with from " +
    "is am are was were be been being do does did done have has had having will would can could should shall " +
    "may might must " +
    "not no yes ok okay also just very really quite always never often sometimes usually every each any some all " +
    "like likes liked love loves loved hate hates hated prefer prefers preferred want wants wanted need needs needed " +
    "think thinks thought know knows knew said says say tell told make makes made get gets got go goes went " +
    "user users person people thing things something anything everything stuff please thanks thank hello hi hey " +
    "about into over under after before again more most less least much many lot lots today tomorrow yesterday " +
    "this that these those there here when where what which who whom why how than too own same other such only"
  ).split(" "),
);

/** category -> cue words (lower case, matched as whole words or word prefixes of length >= 5). */
const CATEGORY_CUES: ReadonlyArray<readonly [string, readonly string[]]> = Object.entries({
  health:
    "allergic allergy allergies medication medicine doctor diagnosed symptom pain sick illness diabetic diabetes " +
    "asthma vaccine hospital therapy epipen surgery blood",
  security: "password passcode pin 2fa token credential credentials login ssn secret",
  food:
    "food eat eats eating vegan vegetarian peanut peanuts gluten coffee tea pizza sushi restaurant dinner lunch " +
    "breakfast cook cooking recipe spicy",
  work: "work job meeting project deadline manager colleague office client customer sprint report career salary team",
  finance: "bank budget money invoice payment tax taxes loan mortgage invest investment stock credit expense expenses",
  travel: "travel trip flight flights hotel airport vacation holiday passport visa train booking",
  schedule:
    "appointment schedule calendar tomorrow monday tuesday wednesday thursday friday saturday sunday weekly daily " +
    "remind reminder",
  relationships:
    "wife husband partner son daughter mother father mom dad sister brother friend friends family girlfriend " +
    "boyfriend kids children",
  technology:
    "code coding software programming python typescript javascript database server api bug deploy laptop computer " +
    "linux",
  preferences: "prefer prefers preferred favorite favourite likes dislikes enjoy enjoys love loves hate hates",
}).map(([category, cues]) => [category, cues.split(" ")]);

const CRITICAL_CUES = new Set(
  (
    "allergic allergy allergies anaphylaxis anaphylactic epipen emergency password passcode ssn medication diabetic " +
    "seizure seizures suicidal overdose"
  ).split(" "),
);
const HIGH_CUES = new Set(
  (
    "always never must important critical remember deadline urgent birthday anniversary diagnosed avoid cannot cant " +
    "dont"
  ).split(" "),
);
const LOW_CUES = new Set("ok okay thanks thank hello hi hey bye lol cool nice sure hmm".split(" "));

const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}'’-]*/gu;

function words(text: string): string[] {
  return (text.normalize("NFKC").match(WORD) ?? []).map((w) => w.toLowerCase().replace(/['’]/g, ""));
}

/** A light singular: "peanuts" -> "peanut", "allergies" -> "allergy"; leaves "class", "bus". */
function singular(w: string): string {
  if (w.length > 4 && w.endsWith("ies")) return w.slice(0, -3) + "y";
  if (w.length > 3 && w.endsWith("s") && !/(ss|us|is)$/.test(w)) return w.slice(0, -1);
  return w;
}

/**
 * Most salient word: frequency first, then length (longer words are more specific), then first
 * occurrence. Empty when nothing qualifies (e.g. "ok thanks").
 */
export function deriveTopic(text: string): string {
  return topicOf(words(text));
}

function topicOf(ws: string[]): string {
  const stats = new Map<string, { n: number; first: number }>();
  ws.forEach((w, i) => {
    if (w.length < 3 || NON_TOPIC.has(w) || /^\p{N}+$/u.test(w)) return;
    const s = singular(w);
    const cur = stats.get(s);
    if (cur) cur.n++;
    else stats.set(s, { n: 1, first: i });
  });
  let best = "";
  let bestKey: [number, number, number] = [0, 0, 0];
  for (const [w, { n, first }] of stats) {
    const key: [number, number, number] = [n, Math.min(w.length, 12), -first];
    if (
      best === "" ||
      key[0] > bestKey[0] ||
      (key[0] === bestKey[0] && (key[1] > bestKey[1] || (key[1] === bestKey[1] && key[2] > bestKey[2])))
    ) {
      best = w;
      bestKey = key;
    }
  }
  return best.slice(0, 64);
}

/** First category (in table order) with the most cue hits; "general" when none. */
export function deriveCategory(text: string): string {
  return categoryOf(words(text));
}

function categoryOf(ws: string[]): string {
  const present = new Set(ws);
  let best = "general";
  let bestHits = 0;
  for (const [category, cues] of CATEGORY_CUES) {
    const hits = cues.filter((c) => present.has(c)).length;
    if (hits > bestHits) {
      best = category;
      bestHits = hits;
    }
  }
  return best;
}

/** Cue words first (critical > high), then length: pleasantries and very short texts are low. */
export function deriveImportance(text: string): ImportanceLevel {
  return importanceOf(words(text));
}

function importanceOf(ws: string[]): ImportanceLevel {
  if (ws.some((w) => CRITICAL_CUES.has(w))) return IMPORTANCE.critical;
  if (ws.some((w) => HIGH_CUES.has(w))) return IMPORTANCE.high;
  const content = ws.filter((w) => !NON_TOPIC.has(w) && !LOW_CUES.has(w));
  if (content.length === 0 || (ws.length <= 3 && ws.some((w) => LOW_CUES.has(w)))) return IMPORTANCE.low;
  return IMPORTANCE.medium;
}

// Capitalised words that start sentences or are pronouns/months are not names by themselves.
const NOT_NAMES = new Set([
  "I",
  "The",
  "A",
  "An",
  "My",
  "Our",
  "We",
  "You",
  "He",
  "She",
  "It",
  "They",
  "This",
  "That",
  "These",
  "Those",
  "And",
  "But",
  "Or",
  "If",
  "When",
  "Please",
  "Thanks",
  "Hello",
  "Hi",
  "Yes",
  "No",
  "Ok",
  "OK",
]);
const NAME_CONNECTORS = new Set(["of", "de", "van", "von", "da", "del", "la", "le", "du", "bin", "al"]);
// Periods end tokens (so they can end sentences); titles like "Dr." are re-joined below.
const TOKEN = /[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}'’&-]*|[.!?;:]+/gu;

/**
 * Capitalised sequences ("New York", "Dr. Jane Smith", "Bank of America"), plus single
 * capitalised words that are not at a sentence start ("... with Alice"), plus acronyms ("NASA").
 * Order of first appearance, deduplicated, at most 10.
 */
export function extractEntities(text: string): string[] {
  const tokens = text.normalize("NFKC").match(TOKEN) ?? [];
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (parts: string[], sentenceStart: boolean) => {
    while (parts.length > 0 && NAME_CONNECTORS.has(parts[parts.length - 1]!)) parts.pop();
    if (parts.length === 0) return;
    if (parts.length === 1 && (sentenceStart || NOT_NAMES.has(parts[0]!.replace(/\.$/, "")))) return;
    if (parts.length > 1 && NOT_NAMES.has(parts[0]!)) parts.shift();
    const name = parts.join(" ").replace(/[.’']+$/, "");
    if (name.length < 2 || seen.has(name)) return;
    seen.add(name);
    out.push(name);
  };
  let run: string[] = [];
  let runAtStart = false;
  let atStart = true;
  for (const tok of tokens) {
    if (/^[.!?;:]+$/.test(tok)) {
      // "Dr." / "St." keep a run going; any other punctuation ends it.
      const last = run[run.length - 1];
      if (tok === "." && last !== undefined && /^(Dr|Mr|Mrs|Ms|St|Prof|Jr|Sr)$/.test(last)) {
        run[run.length - 1] = last + ".";
        continue;
      }
      push(run, runAtStart);
      run = [];
      atStart = true;
      continue;
    }
    const capital = /^\p{Lu}/u.test(tok);
    if (capital || (run.length > 0 && NAME_CONNECTORS.has(tok))) {
      if (run.length === 0) runAtStart = atStart;
      run.push(tok);
    } else {
      push(run, runAtStart);
      run = [];
    }
    atStart = false;
    if (out.length >= 10) break;
  }
  push(run, runAtStart);
  return out.slice(0, 10);
}

export interface SuppliedMetadata {
  topic?: string;
  category?: string;
  /** 0 (unspecified) or 1-4. */
  importance?: number;
}

/** Caller-supplied values win; only what is missing is derived. */
export function deriveMetadata(
  content: string,
  supplied: SuppliedMetadata = {},
): DerivedMetadata & { derived: { topic: boolean; category: boolean; importance: boolean } } {
  const topic = supplied.topic?.trim() ?? "";
  const category = supplied.category?.trim() ?? "";
  const importance = supplied.importance ?? 0;
  // One tokenization for all three (it was most of their cost), and none when everything is supplied.
  let ws: string[] | undefined;
  const tokens = () => (ws ??= words(content));
  return {
    topic: topic !== "" ? topic : topicOf(tokens()),
    category: category !== "" ? category : categoryOf(tokens()),
    importance: importance >= 1 && importance <= 4 ? (importance as ImportanceLevel) : importanceOf(tokens()),
    entities: extractEntities(content),
    derived: { topic: topic === "", category: category === "", importance: !(importance >= 1 && importance <= 4) },
  };
}

/** The form used for equality (filters, clusters, boosts): NFKC, trimmed, lower case, single spaces. */
export function normalizeLabel(s: string): string {
  return s.normalize("NFKC").trim().toLowerCase().replace(/\s+/g, " ");
}
