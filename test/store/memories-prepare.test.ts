/**
 * Spec: preparing a batch (store/memories.ts prepareMemories: seal, index, plan vectors) keeps the
 * batch order, gives creation-ordered ids, and lets the event loop turn while a large batch is
 * sealed, so other calls' I/O and the readiness probe are not held up by an import.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DataKey } from "../../src/security/crypto.js";
import { PREPARE_CHUNK } from "../../src/store/analysis-pool.js";
import { prepareMemories } from "../../src/store/memories.js";
import type { NewMemory } from "../../src/store/memory-write.js";
import { selfOwner } from "../../src/store/owner.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture;
beforeAll(async () => {
  f = await openStoreFixture();
});
afterAll(async () => {
  await f?.close();
});

const memory = (content: string): NewMemory => ({
  content,
  threadId: "",
  agentId: "",
  namespace: "",
  metadata: {},
  importance: 0,
  topic: "",
  category: "",
  role: 0,
  expiresAt: null,
  idempotencyKey: "",
});

it("keeps the order of a large batch and lets the event loop turn while sealing it", async () => {
  const key = await DataKey.generate();
  const items = Array.from({ length: 1000 }, (_, i) => memory(`memory number ${i}: the user drinks green tea`));
  let turns = 0;
  let sealing = true;
  const turn = () => {
    if (!sealing) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  const prepared = await prepareMemories(f.deps, key, selfOwner(randomUUID()), items);
  sealing = false;

  expect(prepared.map((p) => p.input.content)).toEqual(items.map((m) => m.content));
  const ids = prepared.map((p) => p.id);
  expect(ids).toEqual([...ids].sort());
  expect(new Set(ids).size).toBe(items.length);
  expect(turns).toBeGreaterThanOrEqual(Math.floor(items.length / PREPARE_CHUNK) - 1);
});
