/**
 * Vectors at rest and hybrid search, on the real store and the test embedding server (which has no
 * semantic quality: these tests check plumbing, encryption and failure handling, never relevance).
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ContextFormat, SearchMode } from "../../gen/memoric/v1/memory_pb.js";
import { encodeVector } from "../../src/domain/vectors.js";
import { backfillOnce } from "../../src/jobs/embedding-backfill.js";
import { code, counterValue, dumpAllTables, openStoreFixture, type StoreFixture } from "./memories-fixture.js";
import { startEmbeddingServer, type EmbeddingServer } from "../support/embedding-server.js";

let f: StoreFixture;
let server: EmbeddingServer;
let user: string;
const DIMS = 32;

const vectorRows = (owner: string) =>
  f.sql<{ memory_id: string; state: string; attempts: number; ciphertext: Buffer | null }[]>`
    select memory_id, state, attempts, ciphertext from memory_vectors where owner_id = ${owner} order by memory_id`;

beforeAll(async () => {
  server = await startEmbeddingServer(DIMS);
  f = await openStoreFixture({
    MEMORIC_EMBEDDINGS_URL: server.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram-test",
    MEMORIC_EMBEDDINGS_DIMENSIONS: String(DIMS),
    MEMORIC_EMBEDDINGS_QUERY_TIMEOUT_MS: "300",
  });
});
afterAll(async () => {
  await f?.close();
  await server?.close();
});
beforeEach(async () => {
  server.mode = "ok";
  server.failures = Number.POSITIVE_INFINITY;
  user = await f.newUser();
});

describe("memory vectors", () => {
  it("stores a client's vector encrypted: no dump of the database holds its bytes", async () => {
    const v = server.vectorOf("the cat sat on the mat");
    const m = await f.service.createMemory({ content: "the cat sat on the mat", embedding: v }, f.ctx(user));
    const [row] = await vectorRows(user);
    expect(row).toMatchObject({ memory_id: m.memory!.id, state: "ready" });
    const clear = Buffer.from(encodeVector(v));
    // The whole vector, and any 16-byte window of it, in hex (bytea::text) or raw (escape) form.
    const needles = [clear.toString("hex"), clear.subarray(16, 32).toString("hex")];
    const dump = await dumpAllTables(f.sql);
    for (const { table, text } of dump) {
      for (const n of needles) expect(text.includes(n), `${table} holds the vector in clear`).toBe(false);
      expect(text.includes(clear.subarray(16, 32).toString("latin1")), table).toBe(false);
    }
    expect(row!.ciphertext!.includes(clear.subarray(0, 16))).toBe(false);
  });

  it("refuses a vector of the wrong length or with non-finite numbers", async () => {
    const ctx = f.ctx(user);
    expect(await code(f.service.createMemory({ content: "x", embedding: [1, 2, 3] }, ctx))).toBe(Code.InvalidArgument);
    const bad = Array.from({ length: DIMS }, () => Number.NaN);
    expect(await code(f.service.createMemory({ content: "x", embedding: bad }, ctx))).toBe(Code.InvalidArgument);
    expect(
      await code(
        f.service.searchMemories({ query: "x", queryEmbedding: [1] }, f.ctx(user, ["USER"], "searchMemories")),
      ),
    ).toBe(Code.InvalidArgument);
  });

  it("backfills a memory written without a vector; hybrid search explains the dense part", async () => {
    const a = await f.service.createMemory({ content: "walking the dog in the park" }, f.ctx(user));
    await f.service.createMemory({ content: "quarterly budget spreadsheet" }, f.ctx(user));
    expect((await vectorRows(user)).map((r) => r.state)).toEqual(["pending", "pending"]);
    await backfillOnce(f.app);
    expect((await vectorRows(user)).map((r) => r.state)).toEqual(["ready", "ready"]);
    const r = await f.service.searchMemories(
      { query: "walking the dog", explain: true },
      f.ctx(user, ["USER"], "searchMemories"),
    );
    expect(r.mode).toBe(SearchMode.HYBRID);
    const top = r.results[0]!;
    expect(top.memory!.id).toBe(a.memory!.id);
    const e = top.explanation!;
    expect(e.dense).toBeGreaterThan(0);
    const w = f.config.memory.search.denseWeight;
    expect(e.relevance).toBeCloseTo((1 - w) * e.lexicalRelevance + w * e.dense, 9);
    // A client's query vector alone (empty query) ranks by similarity.
    const byVector = await f.service.searchMemories(
      { query: "", queryEmbedding: server.vectorOf("quarterly budget spreadsheet"), explain: true },
      f.ctx(user, ["USER"], "searchMemories"),
    );
    expect(byVector.mode).toBe(SearchMode.HYBRID);
    expect(byVector.results[0]!.memory!.content).toBe("quarterly budget spreadsheet");
    expect(byVector.results[0]!.explanation!.dense).toBeCloseTo(1, 5);
  });

  it("sees new vectors at the next search (the version moves), and an update re-embeds", async () => {
    const ctx = f.ctx(user, ["USER"], "searchMemories");
    const q = server.vectorOf("red bicycle");
    await f.service.createMemory({ content: "blue car", embedding: server.vectorOf("blue car") }, f.ctx(user));
    const first = await f.service.searchMemories({ query: "", queryEmbedding: q }, ctx);
    expect(first.results.map((x) => x.memory!.content)).toEqual(["blue car"]);
    const bike = await f.service.createMemory({ content: "red bicycle", embedding: q }, f.ctx(user));
    const second = await f.service.searchMemories({ query: "", queryEmbedding: q }, ctx);
    expect(second.results[0]!.memory!.content).toBe("red bicycle");
    await f.service.updateMemory(
      { id: bike.memory!.id, content: "green tractor", updateMask: { paths: ["content"] } },
      f.ctx(user, ["USER"], "updateMemory"),
    );
    const states = await vectorRows(user);
    expect(states.find((r) => r.memory_id === bike.memory!.id)!.state).toBe("pending");
    await backfillOnce(f.app);
    const third = await f.service.searchMemories({ query: "", queryEmbedding: server.vectorOf("green tractor") }, ctx);
    expect(third.results[0]!.memory!.content).toBe("green tractor");
  });

  it("a ciphertext swapped between two rows fails to decrypt (DataLoss, nothing returned)", async () => {
    const a = await f.service.createMemory({ content: "alpha", embedding: server.vectorOf("alpha") }, f.ctx(user));
    const b = await f.service.createMemory({ content: "beta", embedding: server.vectorOf("beta") }, f.ctx(user));
    await f.sql`
      update memory_vectors v set ciphertext = o.ciphertext
      from memory_vectors o
      where v.owner_id = ${user} and o.owner_id = ${user}
        and ((v.memory_id = ${a.memory!.id} and o.memory_id = ${b.memory!.id})
          or (v.memory_id = ${b.memory!.id} and o.memory_id = ${a.memory!.id}))`;
    await f.sql`
      update memory_vector_versions set version = nextval('memory_vector_version_seq') where owner_id = ${user}`;
    const search = f.service.searchMemories(
      { query: "", queryEmbedding: server.vectorOf("alpha") },
      f.ctx(user, ["USER"], "searchMemories"),
    );
    expect(await code(search)).toBe(Code.DataLoss);
  });

  it("a write while the provider is down succeeds; the backfill retries, then the vector is ready", async () => {
    server.mode = "down";
    const m = await f.service.createMemory({ content: "written during an outage" }, f.ctx(user));
    expect(m.memory!.content).toBe("written during an outage");
    await backfillOnce(f.app, 0);
    const [row] = await vectorRows(user);
    expect(row).toMatchObject({ state: "pending", attempts: 1 });
    // A search meanwhile degrades to lexical, with a metric and a log line.
    const logsBefore = f.logs.length;
    const r = await f.service.searchMemories({ query: "outage" }, f.ctx(user, ["USER"], "searchMemories"));
    expect(r.mode).toBe(SearchMode.DEGRADED);
    expect(r.results.map((x) => x.memory!.id)).toEqual([m.memory!.id]);
    expect(f.logs.slice(logsBefore).join("\n")).toMatch(/search degraded to lexical/);
    expect(await f.app.metrics.registry.metrics()).toMatch(/memoric_search_mode_total\{mode="degraded"\} 1/);
    server.mode = "ok";
    await f.sql`update memory_vectors set next_attempt_at = now() where owner_id = ${user}`;
    await backfillOnce(f.app, 0);
    expect((await vectorRows(user))[0]).toMatchObject({ state: "ready" });
  });

  it("gives up after the bounded attempts (failed), the memory stays searchable", async () => {
    server.mode = "500";
    await f.service.createMemory({ content: "never embedded" }, f.ctx(user));
    for (let i = 0; i < f.config.memory.embeddings.maxAttempts; i++) {
      await f.sql`update memory_vectors set next_attempt_at = now() where owner_id = ${user}`;
      await backfillOnce(f.app, 0);
    }
    expect((await vectorRows(user))[0]).toMatchObject({ state: "failed" });
    const r = await f.service.searchMemories({ query: "embedded" }, f.ctx(user, ["USER"], "searchMemories"));
    expect(r.results).toHaveLength(1);
  });

  it("GetContext ranks its query matches like a hybrid search (provider or client query vector)", async () => {
    const budget = await f.service.createMemory({ content: "quarterly budget spreadsheet" }, f.ctx(user));
    await f.service.createMemory({ content: "walking the dog in the park" }, f.ctx(user));
    await backfillOnce(f.app);
    const ctx = f.ctx(user, ["USER"], "getContext");
    // Misspelt: no index term in common, close in the test server's trigram space.
    const query = "quarterlyy budgett spreadsheeet";
    expect((await f.service.searchMemories({ query }, f.ctx(user, ["USER"], "searchMemories"))).mode).toBe(
      SearchMode.HYBRID,
    );
    const searched = await f.service.searchMemories({ query, topK: 20 }, f.ctx(user, ["USER"], "searchMemories"));
    const c = await f.service.getContext({ query, format: ContextFormat.STRUCTURED }, ctx);
    expect(c.mode).toBe(SearchMode.HYBRID);
    expect(c.memoryIds[0]).toBe(budget.memory!.id);
    expect(c.memoryIds).toEqual(searched.results.map((r) => r.memory!.id));
    expect(c.context).toMatch(/^## Relevant memories/);
    // A client's own query vector, without query text, is used instead of the provider's.
    const requests = server.requests;
    const byVector = await f.service.getContext(
      { query: "", queryEmbedding: server.vectorOf("quarterly budget spreadsheet") },
      ctx,
    );
    expect(server.requests).toBe(requests);
    expect(byVector.mode).toBe(SearchMode.HYBRID);
    expect(byVector.memoryIds[0]).toBe(budget.memory!.id);
    expect(await code(f.service.getContext({ query: "x", queryEmbedding: [1, 2] }, ctx))).toBe(Code.InvalidArgument);
  });

  it("GetContext degrades to lexical when the query cannot be embedded, with the metric and log line", async () => {
    const m = await f.service.createMemory({ content: "the garage door code" }, f.ctx(user));
    await backfillOnce(f.app);
    server.mode = "down";
    const before = (await counterValue(f, "memoric_search_mode_total", { mode: "degraded" })) ?? 0;
    const logsBefore = f.logs.length;
    const c = await f.service.getContext({ query: "garage door" }, f.ctx(user, ["USER"], "getContext"));
    expect(c.mode).toBe(SearchMode.DEGRADED);
    expect(c.memoryIds).toEqual([m.memory!.id]);
    expect(f.logs.slice(logsBefore).join("\n")).toMatch(/search degraded to lexical/);
    expect(await counterValue(f, "memoric_search_mode_total", { mode: "degraded" })).toBe(before + 1);
    // Without a query nothing is embedded: lexical (recency and importance), not degraded.
    const plain = await f.service.getContext({ query: "" }, f.ctx(user, ["USER"], "getContext"));
    expect(plain.mode).toBe(SearchMode.LEXICAL);
    expect(plain.memoryIds).toEqual([m.memory!.id]);
  });
});
