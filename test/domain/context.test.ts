/**
 * Spec: GetContext's block. Thread memories first in chronological order, then relevant ones in
 * rank order; the whole rendered string stays within the budget; what is dropped is reported. Core
 * memories (the profile) get the budget first and open the block; a fallback is labelled as such.
 */
import { describe, expect, it } from "vitest";
import { renderContext, type ContextItem } from "../../src/domain/context.js";

const item = (id: string, content: string, extra: Partial<ContextItem> = {}): ContextItem => ({
  id,
  content,
  role: 1,
  topic: "",
  category: "",
  importance: 2,
  createdAt: new Date("2024-05-01T00:00:00Z"),
  ...extra,
});

const thread = [
  item("t1", "hello there", { role: 1 }),
  item("t2", "hi, how can I help?", { role: 2 }),
  item("t3", "book a table for two", { role: 1 }),
];
const relevant = [
  item("r1", "prefers window seats", { topic: "dining", category: "preferences", importance: 3 }),
  item("r2", "vegetarian"),
];

describe("renderContext", () => {
  it("text: one memory per line, thread first (oldest first), then relevant", () => {
    const out = renderContext({ core: [], thread, relevant }, "text", 4000);
    expect(out.context).toBe(
      "user: hello there\nassistant: hi, how can I help?\nuser: book a table for two\nprefers window seats\nvegetarian",
    );
    expect(out.memoryIds).toEqual(["t1", "t2", "t3", "r1", "r2"]);
    expect(out.truncated).toBe(false);
  });

  it("structured: headed sections with metadata", () => {
    const out = renderContext({ core: [], thread, relevant }, "structured", 4000);
    expect(out.context).toContain("## Current conversation\n- [user] hello there");
    expect(out.context).toContain(
      "## Relevant memories\n- prefers window seats (topic: dining; category: preferences; importance: high; " +
        "2024-05-01)",
    );
  });

  it("chat: messages with roles, relevant memories as a system message", () => {
    const out = renderContext({ core: [], thread, relevant }, "chat", 4000);
    expect(out.messages.map((m) => m.role)).toEqual([3, 1, 2, 1]);
    expect(out.messages[0]!.content).toBe("Relevant memories:\n- prefers window seats\n- vegetarian");
    expect(out.context.split("\n")[0]).toBe("system: Relevant memories:");
  });

  it("keeps the newest thread memories and the best relevant ones within the budget", () => {
    for (const format of ["text", "structured", "chat"] as const) {
      const full = [...renderContext({ core: [], thread, relevant }, format, 1_000_000).context].length;
      for (const budget of [10, 30, 60, 90, 120, full - 1].filter((b) => b < full)) {
        const out = renderContext({ core: [], thread, relevant }, format, budget);
        expect([...out.context].length, `${format}/${budget}`).toBeLessThanOrEqual(budget);
        expect(out.truncated).toBe(true);
        const kept = out.memoryIds.filter((id) => id.startsWith("t"));
        // A suffix of the thread: never a gap.
        expect(kept).toEqual(["t1", "t2", "t3"].slice(3 - kept.length));
      }
    }
  });

  it("cuts the first memory when nothing fits whole", () => {
    const out = renderContext(
      { core: [], thread: [], relevant: [item("r", "a very long memory ".repeat(20))] },
      "text",
      40,
    );
    expect([...out.context].length).toBeLessThanOrEqual(40);
    expect(out.context.endsWith("…")).toBe(true);
    expect(out.memoryIds).toEqual(["r"]);
    expect(out.truncated).toBe(true);
  });

  it("renders nothing for nothing", () => {
    expect(renderContext({ core: [], thread: [], relevant: [] }, "text", 100)).toEqual({
      context: "",
      messages: [],
      memoryIds: [],
      truncated: false,
    });
  });

  const core = [item("c1", "severely allergic to peanuts", { importance: 4 })];

  it("profile: core memories open every format and are headed Profile in the structured one", () => {
    const all = { core, thread, relevant };
    expect(renderContext(all, "text", 4000).context.split("\n")[0]).toBe("severely allergic to peanuts");
    expect(renderContext(all, "text", 4000).memoryIds).toEqual(["c1", "t1", "t2", "t3", "r1", "r2"]);
    const structured = renderContext(all, "structured", 4000).context;
    expect(structured.startsWith("## Profile\n- severely allergic to peanuts (importance: critical; 2024-05-01)")).toBe(
      true,
    );
    expect(structured.indexOf("## Profile")).toBeLessThan(structured.indexOf("## Current conversation"));
    const chat = renderContext(all, "chat", 4000);
    expect(chat.messages[0]!.content).toBe(
      "Profile:\n- severely allergic to peanuts\nRelevant memories:\n- prefers window seats\n- vegetarian",
    );
  });

  it("gives the budget to core memories before the thread and the query matches", () => {
    for (const format of ["text", "structured", "chat"] as const) {
      const alone = [...renderContext({ core, thread: [], relevant: [] }, format, 4000).context].length;
      const out = renderContext({ core, thread, relevant }, format, alone + 5);
      expect(out.memoryIds, format).toEqual(["c1"]);
      expect(out.truncated).toBe(true);
    }
  });

  it("labels the recency fallback", () => {
    const out = renderContext({ core: [], thread: [], relevant, fallback: true }, "structured", 4000);
    expect(out.context.startsWith("## Recent memories\n")).toBe(true);
  });
});
