import { describe, expect, it } from "vitest";
import { queryTerms } from "../../src/domain/query-terms.js";
import { analyze, asciiWords, irregularBases, segmentedWords, stem, words, wordTerms } from "../../src/domain/text.js";

/** The words' own terms of a query (no expansion). */
const own = (q: string) => queryTerms(q, { expand: false }).map((t) => t.term);

describe("analyze", () => {
  it("lower-cases, drops stop words and 1-char tokens, counts frequencies", () => {
    const { terms, length } = analyze("The cat and THE dog; a cat, x y z!");
    expect(Object.fromEntries(terms)).toEqual({ cat: 2, dog: 1 });
    expect(length).toBe(3);
  });

  it("returns nothing for empty or stop-word-only text", () => {
    expect(analyze("")).toEqual({ terms: new Map(), length: 0 });
    expect(analyze("  the of and a  ... !!")).toEqual({ terms: new Map(), length: 0 });
  });

  it("NFKC-normalizes and folds diacritics in Latin and Greek script", () => {
    expect(own("ＡＢＣ ﬁle cafe\u0301")).toEqual(own("abc file cafe"));
    expect(own("Käsespätzle Straße Ærø")).toEqual(own("kasespatzle strasse aero"));
    expect(words("Москва й")).toEqual(["москва"]); // Cyrillic is not folded (й is a letter of its own)
  });

  it("segments words with Unicode rules, including Chinese, Japanese and Thai", () => {
    expect(words("来月、京都へ出張します。")).toEqual(["来月", "京都", "出張", "ます"]);
    expect(words("我喜欢吃北京烤鸭")).toContain("北京");
    expect(words("ฉันชอบกินข้าวผัด")).toEqual(["ฉัน", "ชอบ", "กิน", "ข้าว", "ผัด"]);
    expect(words("猫")).toEqual(["猫"]); // one ideograph is a word
    expect(words("user_id=42;room-101 12,000")).toEqual(["user", "id", "42", "room", "101", "12000"]);
  });

  it("joins apostrophes inside words and drops the possessive", () => {
    expect(own("won't-stop user's users’ children's")).toEqual(["stop", "user", "children", "child"]);
    expect(own("I’m sure I've said it: don't")).toEqual(["sure", "said", "say"]); // contractions are stop words
  });

  it("finds the same words in ASCII text without the Unicode segmenter", () => {
    // Every class the segmentation rules tell apart: letters, digits, the joiners ' . : , ;, the
    // underscore, other punctuation and spaces, upper case, and "s" for possessives.
    const alphabet = "abisSXz019 .'.:,;_-!?\"()/\t\n@#$%&*+=<>[]{}|\\^`~";
    let seed = 20261130;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      let text = "";
      for (let n = 1 + Math.floor(random() * 14); n > 0; n--) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(asciiWords(text), JSON.stringify(text)).toEqual(segmentedWords(text));
    }
    const examples = "e.g. 3.5 kg, 12,000 users; it's Bob's dog:cat a1b2 1.a x'y 08:30 v2.0_beta";
    expect(asciiWords(examples)).toEqual(segmentedWords(examples));
    // "it's" is a stop word; ":" joins letters ("dogcat"), "." digits ("v20"), never a letter to a digit.
    expect(words(examples)).toEqual([
      "eg",
      "35",
      "kg",
      "12000",
      "users",
      "bob",
      "dogcat",
      "a1b2",
      "xy",
      "08",
      "30",
      "v20",
      "beta",
    ]);
  });

  it("is deterministic and identical for query and document", () => {
    const text = "Running quickly, the users stored their allergies in boxes; the children ran.";
    expect([...analyze(text).terms.keys()]).toEqual(own(text));
    expect(analyze(text)).toEqual(analyze(text));
  });

  it("query terms are unique, in first-occurrence order, one group per word", () => {
    const q = queryTerms("peanut peanuts Peanut allergy", { expand: false });
    expect(q).toEqual([
      { term: "peanut", group: 0, weight: 1 },
      { term: "allergi", group: 2, weight: 1 },
    ]);
  });
});

describe("stem and irregular forms", () => {
  const same = (list: string[]) => new Set(list.flatMap((w) => wordTerms(w).slice(-1))).size;

  it("uses Porter2 for Latin script", () => {
    expect(same(["allergy", "allergies"])).toBe(1);
    expect(same(["run", "running", "runs"])).toBe(1);
    expect(same(["store", "stored", "storing", "stores"])).toBe(1);
    expect(same(["cookie", "cookies"])).toBe(1);
    expect(same(["use", "used", "using"])).toBe(1);
    expect(same(["agree", "agreed"])).toBe(1);
    expect(stem("v2s")).toBe("v2s"); // words with digits are kept whole
  });

  it("stems as Snowball's reference Porter2 does, its exceptional forms and y-marking included", () => {
    const reference: Record<string, string> = {
      consigned: "consign",
      consignment: "consign",
      consistently: "consist",
      generously: "generous",
      knightly: "knight",
      skies: "sky",
      dying: "die",
      news: "news",
      cosmos: "cosmos",
      sayings: "say",
      enjoyed: "enjoy",
      // wink-porter2-stemmer, used before, returned "how", "naysayer" and "oe" (README: index rebuild).
      howe: "howe",
      naysayer: "naysay",
      oed: "o",
    };
    expect(Object.fromEntries(Object.keys(reference).map((w) => [w, stem(w)]))).toEqual(reference);
  });

  it("uses the script's Snowball stemmer elsewhere", () => {
    expect(stem("книги")).toBe(stem("книга"));
    expect(stem("東京")).toBe("東京");
  });

  it("maps irregular forms to their base, keeping the form itself too", () => {
    expect(irregularBases("ran")).toEqual(["run"]);
    expect(wordTerms("ran")).toEqual(["ran", "run"]);
    expect(wordTerms("children")).toEqual(["children", "child"]);
    expect(wordTerms("mice")).toContain("mous");
    expect(wordTerms("leaves")).toEqual(expect.arrayContaining(["leav", "leaf"]));
  });
});

describe("query expansion", () => {
  const expansion = (q: string, term: string) => queryTerms(q).find((t) => t.term === term);

  it("adds derivations, synonyms and more specific words with weights below 1, in the word's group", () => {
    expect(expansion("allergy", "allerg")?.weight).toBeGreaterThan(0);
    expect(expansion("allergy", "allerg")!.weight).toBeLessThan(1);
    expect(expansion("what language am I studying", "learn")).toMatchObject({ group: 1 });
    expect(expansion("car", "sedan")!.weight).toBeLessThan(expansion("car", "automobil")!.weight);
    expect(expansion("which city", "rotterdam")).toBeDefined(); // named instances of a class
  });

  it("never expands a word's own terms below weight 1 and stays bounded", () => {
    const q = queryTerms("dog city car house music");
    expect(q.filter((t) => t.weight === 1).map((t) => t.term)).toEqual(["dog", "citi", "car", "hous", "music"]);
    expect(q.length).toBeLessThanOrEqual(1600);
  });

  it("expands only Latin-script words", () => {
    expect(queryTerms("京都")).toEqual([{ term: "京都", group: 0, weight: 1 }]);
  });
});
