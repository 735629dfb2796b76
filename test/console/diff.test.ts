/** Spec: the console's word diff gives back both sides exactly and marks only what changed. */
import { describe, expect, it } from "vitest";
import { diffWords } from "../../console/src/diff.js";

const side = (parts: ReturnType<typeof diffWords>, skip: "added" | "removed") =>
  parts
    .filter((p) => p.kind !== skip)
    .map((p) => p.text)
    .join("");

describe("diffWords", () => {
  it("marks a replaced word, keeps the rest, and rebuilds both sides", () => {
    const before = "The deploy window is Tuesday at noon";
    const after = "The deploy window is Thursday at noon";
    const parts = diffWords(before, after);
    expect(parts).toEqual([
      { kind: "same", text: "The deploy window is " },
      { kind: "removed", text: "Tuesday " },
      { kind: "added", text: "Thursday " },
      { kind: "same", text: "at noon" },
    ]);
    expect(side(parts, "added")).toBe(before);
    expect(side(parts, "removed")).toBe(after);
  });

  it("handles empty sides and identical text", () => {
    expect(diffWords("", "new text")).toEqual([{ kind: "added", text: "new text" }]);
    expect(diffWords("old text", "")).toEqual([{ kind: "removed", text: "old text" }]);
    expect(diffWords("same", "same")).toEqual([{ kind: "same", text: "same" }]);
  });

  it("keeps line breaks and repeated words on the right side", () => {
    const before = "a a b\nc";
    const after = "a b b\nc d";
    const parts = diffWords(before, after);
    expect(side(parts, "added")).toBe(before);
    expect(side(parts, "removed")).toBe(after);
  });

  it("falls back to whole sides when both are huge", () => {
    const before = "x ".repeat(3000);
    const after = "y ".repeat(3000);
    expect(diffWords(before, after)).toEqual([
      { kind: "removed", text: before },
      { kind: "added", text: after },
    ]);
  });
});
