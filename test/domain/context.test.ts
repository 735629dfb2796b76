/**
 * Spec: GetContext's block. Thread memories first in chronological order, then relevant ones in
 * rank order; the whole rendered string stays within the budget; what is dropped is reported.
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
    const out = renderContext(thread, relevant, "text", 4000);
    expect(out.context).toBe(
      "user: hello there\nassistant: hi, how can I help?\nuser: book a table for two\nprefers window seats\nvegetarian",
    );
    expect(out.memoryIds).toEqual(["t1", "t2", "t3", "r1", "r2"]);
    expect(out.truncated).toBe(false);
  });

  it("structured: headed sections with metadata", () => {
    const out = renderContext(thread, relevant, "structured", 4000);
    expect(out.context).toContain("## Current conversation\n- [user] hello there");
    expect(out.context).toContain(
      "## Relevant memories\n- prefers window seats (topic: dining; category: preferences; importance: high; " +
        "2024-05-01)",
    );
  });

  it("chat: messages with roles, relevant memories as a system message", () => {
    const out = renderContext(thread, relevant, "chat", 4000);
    expect(out.messages.map((m) => m.role)).toEqual([3, 1, 2, 1]);
    expect(out.messages[0]!.content).toBe("Relevant memories:\n- prefers window seats\n- vegetarian");
    expect(out.context.split("\n")[0]).toBe("system: Relevant memories:");
  });

  it("keeps the newest thread memories and the best relevant ones within the budget", () => {
    for (const format of ["text", "structured", "chat"] as const) {
      const full = [...renderContext(thread, relevant, format, 1_000_000).context].length;
      for (const budget of [10, 30, 60, 90, 120, full - 1].filter((b) => b < full)) {
        const out = renderContext(thread, relevant, format, budget);
        expect([...out.context].length, `${format}/${budget}`).toBeLessThanOrEqual(budget);
        expect(out.truncated).toBe(true);
        const kept = out.memoryIds.filter((id) => id.startsWith("t"));
        // A suffix of the thread: never a gap.
        expect(kept).toEqual(["t1", "t2", "t3"].slice(3 - kept.length));
      }
    }
  });

  it("cuts the first memory when nothing fits whole", () => {
    const out = renderContext([], [item("r", "a very long memory ".repeat(20))], "text", 40);
    expect([...out.context].length).toBeLessThanOrEqual(40);
    expect(out.context.endsWith("…")).toBe(true);
    expect(out.memoryIds).toEqual(["r"]);
    expect(out.truncated).toBe(true);
  });

  it("renders nothing for nothing", () => {
    expect(renderContext([], [], "text", 100)).toEqual({ context: "", messages: [], memoryIds: [], truncated: false });
  });
});
