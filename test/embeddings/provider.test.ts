/** The OpenAI-compatible provider against the test embedding server: batching, failures, retries, secrets. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { EmbeddingError, OpenAiEmbeddings } from "../../src/embeddings/provider.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { startEmbeddingServer, type EmbeddingServer } from "../support/embedding-server.js";

let server: EmbeddingServer;
const API_KEY = "sk-test-0123456789-secret";

function provider(extra: Record<string, string> = {}) {
  const cfg = loadConfig({
    MEMORIC_EMBEDDINGS_URL: server.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram",
    MEMORIC_EMBEDDINGS_DIMENSIONS: String(server.dims),
    MEMORIC_EMBEDDINGS_API_KEY: API_KEY,
    MEMORIC_EMBEDDINGS_BATCH_SIZE: "4",
    ...extra,
  }).memory.embeddings;
  const metrics = createMetrics();
  return { p: new OpenAiEmbeddings({ ...cfg, url: cfg.url! }, { metrics, retryBaseMs: 5 }), metrics };
}

async function failure(promise: Promise<unknown>): Promise<EmbeddingError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EmbeddingError);
  return err as EmbeddingError;
}

beforeAll(async () => {
  server = await startEmbeddingServer(16);
});
afterAll(() => server.close());
beforeEach(() => {
  server.mode = "ok";
  server.failures = Number.POSITIVE_INFINITY;
  server.batchSizes.length = 0;
  server.authorizations.length = 0;
});

describe("OpenAI-compatible embeddings provider", () => {
  it("accepts a base URL or the full endpoint", () => {
    const cfg = (url: string) =>
      loadConfig({ MEMORIC_EMBEDDINGS_URL: url, MEMORIC_EMBEDDINGS_MODEL: "m", MEMORIC_EMBEDDINGS_DIMENSIONS: "8" })
        .memory.embeddings.url;
    expect(cfg("http://h:1/v1")).toBe("http://h:1/v1/embeddings");
    expect(cfg("http://h:1/")).toBe("http://h:1/v1/embeddings");
    expect(cfg("http://h:1/openai/v1/embeddings")).toBe("http://h:1/openai/v1/embeddings");
    expect(() => loadConfig({ MEMORIC_EMBEDDINGS_URL: "http://h:1/v1" })).toThrow(/MEMORIC_EMBEDDINGS_MODEL/);
    expect(() => loadConfig({ MEMORIC_EMBEDDINGS_URL: "ftp://h" })).toThrow(/MEMORIC_EMBEDDINGS_URL/);
  });

  it("batches, keeps input order, sends the key as Bearer", async () => {
    const { p } = provider();
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
    const vectors = await p.embed(texts);
    expect(server.batchSizes).toEqual([4, 4, 2]);
    expect(vectors.map((v) => Array.from(v))).toEqual(
      texts.map((t) => Array.from(Float32Array.from(server.vectorOf(t)))),
    );
    expect(new Set(server.authorizations)).toEqual(new Set([`Bearer ${API_KEY}`]));
  });

  it("retries 500, 429 and resets, then succeeds", async () => {
    for (const mode of ["500", "429", "down"] as const) {
      const { p, metrics } = provider();
      server.mode = mode;
      server.failures = 2;
      const before = server.requests;
      expect(await p.embed(["hello"])).toHaveLength(1);
      expect(server.requests - before).toBe(3);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/memoric_embedding_request_seconds_count\{outcome="ok"\} 1/);
    }
  });

  it("gives up after the bounded attempts with a typed error", async () => {
    const { p } = provider();
    server.mode = "500";
    const before = server.requests;
    const err = await failure(p.embed(["hello"], { attempts: 2 }));
    expect(err.outcome).toBe("http_error");
    expect(server.requests - before).toBe(2);
  });

  it("times out", async () => {
    const { p } = provider();
    server.mode = "slow";
    server.delayMs = 500;
    const err = await failure(p.embed(["hello"], { timeoutMs: 50, attempts: 1 }));
    expect(err.outcome).toBe("timeout");
  });

  it("refuses a wrong dimension or a garbage answer without retrying", async () => {
    for (const mode of ["wrong_dims", "garbage"] as const) {
      const { p } = provider();
      server.mode = mode;
      const before = server.requests;
      const err = await failure(p.embed(["hello"]));
      expect(err.outcome).toBe("invalid_response");
      expect(server.requests - before).toBe(1);
    }
  });

  it("sends `dimensions` only when MEMORIC_EMBEDDINGS_SEND_DIMENSIONS is on", async () => {
    server.dimensionsAsked.length = 0;
    // The model's own length (16) differs from the configured 8: without the field, refused.
    const off = provider({ MEMORIC_EMBEDDINGS_DIMENSIONS: "8" }).p;
    expect((await failure(off.embed(["hello"]))).outcome).toBe("invalid_response");
    const on = provider({ MEMORIC_EMBEDDINGS_DIMENSIONS: "8", MEMORIC_EMBEDDINGS_SEND_DIMENSIONS: "on" }).p;
    const [v] = await on.embed(["hello"]);
    expect(v).toHaveLength(8);
    expect(server.dimensionsAsked).toEqual([undefined, 8]);
  });

  it("never puts the API key or the texts in an error", async () => {
    const { p } = provider();
    server.mode = "500";
    const err = await failure(p.embed(["my secret diary entry"], { attempts: 1 }));
    const shown = `${err.message} ${err.stack} ${JSON.stringify(err)}`;
    expect(shown).not.toContain(API_KEY);
    expect(shown).not.toContain("diary");
    expect(shown).not.toContain("exploded"); // nor the provider's answer
  });
});
