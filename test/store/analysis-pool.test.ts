/**
 * Spec: a batch analyzed on an analysis thread (store/analysis-pool.ts) is exactly what the main
 * thread would have computed (derived metadata, every blind hash, the fingerprint as a Buffer the
 * driver binds), in order; small batches stay inline; a thread that stops mid-batch costs speed,
 * never a result.
 */
import { describe, expect, it } from "vitest";
import {
  analysisThreadsRunning,
  analyzeBatch,
  OFFLOAD_MIN,
  PREPARE_CHUNK,
  stopAnalysisThreads,
} from "../../src/store/analysis-pool.js";
import { analyzeMemory, TermIndexer, type AnalysisInput } from "../../src/store/memory-analysis.js";

const KEY = new Uint8Array(32).fill(5);

const SAMPLES: AnalysisInput[] = [
  { content: "The user's children ran to Paris on Tuesday", metadata: {}, importance: 0, topic: "", category: "" },
  {
    content: "Käsespätzle and café au lait, bitte",
    metadata: { lang: "de", n: [1, 2] },
    importance: 3,
    topic: "",
    category: "",
  },
  { content: "東京で寿司を食べるのが好きです", metadata: {}, importance: 0, topic: "travel", category: "food" },
  { content: "Пользователь любит зелёный чай", metadata: { a: { b: true } }, importance: 0, topic: "", category: "" },
  { content: "!!!", metadata: {}, importance: 0, topic: "", category: "" },
];

function batch(n: number): AnalysisInput[] {
  return Array.from({ length: n }, (_, i) => {
    const s = SAMPLES[i % SAMPLES.length]!;
    return { ...s, content: `${s.content}${"!".repeat(i % 4)}` };
  });
}

function inline(inputs: AnalysisInput[]) {
  const indexer = new TermIndexer(KEY);
  return inputs.map((input) => analyzeMemory(indexer, input));
}

const analyzed = async (inputs: AnalysisInput[]) => (await Promise.all(analyzeBatch(KEY, inputs))).flat();

describe("analyzeBatch", () => {
  it("keeps a batch smaller than OFFLOAD_MIN on the main thread", async () => {
    await stopAnalysisThreads();
    const inputs = batch(OFFLOAD_MIN - 1);
    expect(await analyzed(inputs)).toEqual(inline(inputs));
    expect(analysisThreadsRunning()).toBe(0);
  });

  it("analyzes a larger batch on a thread, in chunks, exactly as the main thread would", async () => {
    const inputs = batch(3 * PREPARE_CHUNK + 5);
    const chunks = analyzeBatch(KEY, inputs);
    expect(chunks).toHaveLength(4);
    expect(analysisThreadsRunning()).toBeGreaterThan(0);
    const out = (await Promise.all(chunks)).flat();
    expect(out).toEqual(inline(inputs));
    for (const a of out) {
      const f = a.indexed.terms.fingerprint;
      if (f !== null) expect(Buffer.isBuffer(f)).toBe(true);
    }
    expect(out.some((a) => a.indexed.terms.fingerprint === null)).toBe(true); // "!!!" has no terms
  });

  it("gives every result inline when its thread stops mid-batch", async () => {
    const inputs = batch(20 * PREPARE_CHUNK);
    await analyzed(batch(OFFLOAD_MIN)); // a thread is up
    const chunks = analyzeBatch(KEY, inputs);
    await stopAnalysisThreads();
    expect((await Promise.all(chunks)).flat()).toEqual(inline(inputs));
    // The next batch starts a new thread.
    expect(await analyzed(batch(OFFLOAD_MIN))).toEqual(inline(batch(OFFLOAD_MIN)));
    expect(analysisThreadsRunning()).toBeGreaterThan(0);
  });
});
