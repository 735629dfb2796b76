/**
 * Spec: GetContext an agent can trust. Core memories (CRITICAL importance) are always in the block,
 * within the budget and ahead of the thread and the query matches, under a "Profile" heading in the
 * structured format; when nothing matches the query, the most recent and important memories fill in,
 * so the context is never empty while the end user has memories.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContextFormat, Importance } from "../../gen/memoric/v1/memory_pb.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture;
let u: string;
let allergy: string;
const others: string[] = [];

const context = (req: Record<string, unknown>) => f.service.getContext(req, f.ctx(u, ["USER"], "getContext"));

beforeAll(async () => {
  f = await openStoreFixture();
  u = await f.newUser();
  allergy = (
    await f.service.createMemory({ content: "Severely allergic to peanuts", importance: Importance.CRITICAL }, f.ctx(u))
  ).memory!.id;
  for (const content of [
    "Likes jazz and old movies",
    "Works night shifts at the hospital",
    "Is learning to play the cello",
    "Lives near the river in a small flat",
  ])
    others.push((await f.service.createMemory({ content, importance: Importance.MEDIUM }, f.ctx(u))).memory!.id);
  for (let i = 0; i < 10; i++)
    await f.service.createMemory(
      { content: `thread message ${i} about the weekend plans and the weather forecast`, threadId: "chat" },
      f.ctx(u),
    );
});
afterAll(async () => {
  await f?.close();
});

describe("GetContext", () => {
  it("includes the core memory for queries that do not match it, and for none", async () => {
    for (const query of ["suggest a dinner recipe", "what music do I like", "", "zzz qqq"]) {
      const out = await context({ query });
      expect(out.memoryIds, query).toContain(allergy);
      expect(out.memoryIds[0], query).toBe(allergy);
    }
  });

  it("structured format opens with a Profile section", async () => {
    const out = await context({ query: "jazz", format: ContextFormat.STRUCTURED, threadId: "chat" });
    expect(out.context.startsWith("## Profile\n- Severely allergic to peanuts")).toBe(true);
    expect(out.context).toContain("## Current conversation");
    expect(out.context).toContain("## Relevant memories\n- Likes jazz");
  });

  it("keeps the core memory within a budget the thread alone would fill", async () => {
    const out = await context({ query: "weather", threadId: "chat", maxChars: 120 });
    expect([...out.context].length).toBeLessThanOrEqual(120);
    expect(out.memoryIds[0]).toBe(allergy);
    expect(out.truncated).toBe(true);
  });

  it("falls back to recent and important memories when nothing matches, never to empty", async () => {
    const out = await context({ query: "quantum chromodynamics", format: ContextFormat.STRUCTURED });
    expect(out.context).toContain("## Recent memories");
    expect(out.memoryIds.length).toBeGreaterThan(1);
    const floored = await context({ query: "cello", minScore: 0.99 });
    expect(floored.memoryIds.length).toBeGreaterThan(1);
    expect(floored.memoryIds).toContain(allergy);
  });
});
