import { describe, expect, it } from "vitest";
import { analyze, queryTerms, stem } from "../../src/domain/text.js";

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

  it("NFKC-normalizes (compatibility forms and composed accents)", () => {
    // full-width letters, the "ﬁ" ligature, decomposed e + combining acute
    expect(queryTerms("ＡＢＣ ﬁle cafe\u0301")).toEqual(queryTerms("abc file café"));
    expect(queryTerms("ＡＢＣ")).toEqual(["abc"]);
  });

  it("splits on any non-letter/non-digit and keeps digits and other scripts", () => {
    expect(queryTerms("user_id=42;room-101 été 東京 Москва")).toEqual([
      "user",
      "id",
      "42",
      "room",
      "101",
      "été",
      "東京",
      "москва",
    ]);
  });

  it("joins apostrophes inside words instead of splitting them", () => {
    expect(queryTerms("don't user's users’ ")).toEqual(["dont", "user"]);
  });

  it("is deterministic and identical for query and document", () => {
    const text = "Running quickly, the users stored their allergies in boxes.";
    expect([...analyze(text).terms.keys()]).toEqual(queryTerms(text));
    expect(analyze(text)).toEqual(analyze(text));
  });

  it("queryTerms is unique and in first-occurrence order", () => {
    expect(queryTerms("peanut peanuts Peanut allergy")).toEqual(["peanut", "allergy"]);
  });
});

describe("stem (documented behaviour)", () => {
  const same = (words: string[]) => new Set(words.map(stem)).size;

  it("merges plural forms", () => {
    expect(stem("allergies")).toBe("allergy");
    expect(stem("allergy")).toBe("allergy");
    expect(stem("boxes")).toBe("box");
    expect(stem("classes")).toBe("class");
    expect(stem("matches")).toBe("match");
    expect(stem("users")).toBe("user");
    expect(same(["horse", "horses"])).toBe(1);
    expect(same(["cache", "caches"])).toBe(1);
  });

  it("merges -ing / -ed / -ly forms", () => {
    expect(same(["run", "running"])).toBe(1);
    expect(same(["stop", "stopped", "stopping", "stops"])).toBe(1);
    expect(same(["store", "stored", "storing", "stores"])).toBe(1);
    expect(same(["make", "making", "makes"])).toBe(1);
    expect(same(["need", "needed", "needs"])).toBe(1);
    expect(same(["quick", "quickly"])).toBe(1);
    expect(same(["fall", "falling"])).toBe(1);
    expect(same(["add", "added", "adding"])).toBe(1);
  });

  it("keeps adjective forms apart: allergic is NOT merged with allergy", () => {
    expect(stem("allergic")).toBe("allergic");
    expect(stem("allergic")).not.toBe(stem("allergies"));
  });

  it("leaves short words, words without a real stem and words with digits alone", () => {
    for (const w of ["thing", "bring", "string", "status", "analysis", "speed", "early", "bus", "v2s", "mp3s"]) {
      expect(stem(w), w).toBe(w);
    }
    expect(same(["family", "families"])).toBe(1);
    expect(same(["reply", "replies"])).toBe(1);
  });
});
