/**
 * An analysis thread (analysis-pool.ts): analyzes one batch per message under the index key the
 * message brings, with an indexer made for that message and dropped with it, so neither the key
 * nor any plaintext vocabulary outlives the batch here either.
 */
import { parentPort } from "node:worker_threads";
import { analyzeMemory, TermIndexer, type AnalysisInput } from "./memory-analysis.js";

export interface AnalysisJob {
  id: number;
  indexKey: Uint8Array;
  inputs: AnalysisInput[];
}

parentPort?.on("message", ({ id, indexKey, inputs }: AnalysisJob) => {
  try {
    const indexer = new TermIndexer(indexKey);
    parentPort!.postMessage({ id, analyses: inputs.map((input) => analyzeMemory(indexer, input)) });
  } catch {
    parentPort!.postMessage({ id, failed: true });
  } finally {
    indexKey.fill(0);
  }
});
