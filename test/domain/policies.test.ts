/**
 * Spec: trimming and summaries are extractive and respect the budget. (Tiers and retention are SQL:
 * test/store/memories-policies.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { cutAtWord, PolicyCounts, splitSentences, summarizeThread, trimText } from "../../src/domain/policies.js";

describe("text", () => {
  it("splits sentences, newlines included", () => {
    expect(splitSentences("One. Two!  Three?\nFour")).toEqual(["One.", "Two!", "Three?", "Four"]);
  });
  it("cuts at a word boundary with an ellipsis, within the limit", () => {
    expect(cutAtWord("short", 10)).toBe("short");
    const cut = cutAtWord("the quick brown fox jumps over the lazy dog", 20);
    expect([...cut].length).toBeLessThanOrEqual(20);
    expect(cut).toBe("the quick brown fox…");
  });
  it("trims to whole leading sentences", () => {
    const t = "First sentence here. Second sentence is longer than that. Third.";
    expect(trimText(t, 100)).toBe(t);
    expect(trimText(t, 30)).toBe("First sentence here.…");
    const single = trimText("a".repeat(10) + " " + "b".repeat(50), 20);
    expect([...single].length).toBeLessThanOrEqual(20);
  });
  it("summarizes a thread: first sentences, important first, shown in order, within budget", () => {
    const items = [
      { content: "We talked about the weather. It was fine.", importance: 2, createdAt: new Date(1) },
      { content: "She is allergic to peanuts.", importance: 4, createdAt: new Date(2) },
      { content: "We talked about the weather again.", importance: 1, createdAt: new Date(3) },
    ];
    const s = summarizeThread(items, 200);
    expect(s).toBe(
      "Summary of 3 memories: We talked about the weather. She is allergic to peanuts. " +
        "We talked about the weather again.",
    );
    const tight = summarizeThread(items, 60);
    expect([...tight].length).toBeLessThanOrEqual(60);
    expect(tight).toContain("peanuts");
  });
});

describe("PolicyCounts", () => {
  it("sums per action and tier, sorted", () => {
    const c = new PolicyCounts();
    c.add("trim", 2);
    c.add("expire", 1, 3);
    c.add("trim", 2);
    c.add("promote", 3, 0);
    expect(c.list()).toEqual([
      { action: "expire", tier: 1, count: 3 },
      { action: "trim", tier: 2, count: 2 },
    ]);
    expect(c.total()).toBe(5);
  });
});
