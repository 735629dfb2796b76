/**
 * Spec: metadata without an LLM. Topic = most salient non-generic word; category from a keyword
 * table; importance from cue words and length; entities = capitalised names. Deterministic, and
 * caller-supplied values always win.
 */
import { describe, expect, it } from "vitest";
import {
  deriveCategory,
  deriveImportance,
  deriveMetadata,
  deriveTopic,
  extractEntities,
  IMPORTANCE,
  normalizeLabel,
} from "../../src/domain/metadata.js";

describe("deriveTopic", () => {
  it("picks the most frequent, then longest, then first salient word", () => {
    expect(deriveTopic("The user prefers tea over coffee. Tea is great.")).toBe("tea");
    expect(deriveTopic("I really like hiking")).toBe("hiking");
    expect(deriveTopic("peanuts peanuts and cashews")).toBe("peanut");
  });
  it("is empty when nothing salient remains", () => {
    expect(deriveTopic("ok thanks")).toBe("");
    expect(deriveTopic("12 34")).toBe("");
  });
});

describe("deriveCategory", () => {
  it.each([
    ["I am allergic to penicillin", "health"],
    ["my password is on a sticky note", "security"],
    ["vegan pizza for dinner", "food"],
    ["deadline for the project report", "work"],
    ["flight and hotel for the trip", "travel"],
    ["the weather is nice", "general"],
  ])("%s -> %s", (text, category) => {
    expect(deriveCategory(text)).toBe(category);
  });
});

describe("deriveImportance", () => {
  it("critical for safety and secrets, high for rules, low for pleasantries, medium otherwise", () => {
    expect(deriveImportance("Severely allergic to shellfish")).toBe(IMPORTANCE.critical);
    expect(deriveImportance("Wifi password is hunter2")).toBe(IMPORTANCE.critical);
    expect(deriveImportance("Always answer in French")).toBe(IMPORTANCE.high);
    expect(deriveImportance("Never call after 9pm")).toBe(IMPORTANCE.high);
    expect(deriveImportance("ok thanks")).toBe(IMPORTANCE.low);
    expect(deriveImportance("Bought a new blue bicycle")).toBe(IMPORTANCE.medium);
  });
});

describe("extractEntities", () => {
  it("finds multi-word names, names inside sentences and acronyms, not sentence starts", () => {
    expect(extractEntities("Meeting with Alice at Bank of America in New York on Monday")).toEqual([
      "Alice",
      "Bank of America",
      "New York",
      "Monday",
    ]);
    expect(extractEntities("I am allergic to peanuts, says Dr. Jane Smith")).toEqual(["Dr. Jane Smith"]);
    expect(extractEntities("Hiking in the Swiss Alps with friends from NASA.")).toEqual(["Swiss Alps", "NASA"]);
    expect(extractEntities("Tea is great. Coffee too.")).toEqual([]);
  });
  it("deduplicates and caps at 10", () => {
    const many = Array.from({ length: 15 }, (_, i) => `met Person${String.fromCharCode(65 + i)}`).join(", ");
    expect(extractEntities(many)).toHaveLength(10);
    expect(extractEntities("saw Alice and Alice again")).toEqual(["Alice"]);
  });
});

describe("deriveMetadata", () => {
  it("lets caller-supplied values win and records what was derived", () => {
    const d = deriveMetadata("I am allergic to peanuts", { topic: " Food ", category: "", importance: 1 });
    expect(d).toMatchObject({
      topic: "Food",
      category: "health",
      importance: 1,
      derived: { topic: false, category: true, importance: false },
    });
    const all = deriveMetadata("I am allergic to peanuts");
    expect(all.derived).toEqual({ topic: true, category: true, importance: true });
    expect(all.importance).toBe(IMPORTANCE.critical);
  });
  it("derives what deriveTopic, deriveCategory and deriveImportance derive on their own", () => {
    for (const t of ["I am allergic to peanuts", "ok thanks", "Meeting Bob about the Q3 budget, urgent!", ""]) {
      expect(deriveMetadata(t)).toMatchObject({
        topic: deriveTopic(t),
        category: deriveCategory(t),
        importance: deriveImportance(t),
      });
    }
  });
  it("is deterministic", () => {
    const t = "Dinner with Maria in Lisbon, she is vegetarian and allergic to nuts";
    expect(deriveMetadata(t)).toEqual(deriveMetadata(t));
  });
});

describe("normalizeLabel", () => {
  it("compares labels case-, width- and space-insensitively", () => {
    expect(normalizeLabel("  Coffee   Beans ")).toBe("coffee beans");
    expect(normalizeLabel("ＣＯＦＦＥＥ")).toBe("coffee");
  });
});
