/**
 * An analysis thread (analysis-pool.ts). A batch arrives as chunks, in order, each bringing the
 * owner's index key; one indexer serves the batch's chunks (a batch repeats its words: batches of
 * 1,000 need half the HMACs of chunks analyzed apart) and is dropped, key zeroed, with the last
 * chunk, so neither the key nor any plaintext vocabulary outlives the batch here either.
 */
import { parentPort } from "node:worker_threads";
import { analyzeMemory, TermIndexer, type AnalysisInput } from "./memory-analysis.js";

export interface AnalysisJob {
  id: number;
  /** The batch the chunk belongs to; `last` on its final chunk. */
  batch: number;
  last: boolean;
  indexKey: Uint8Array;
  inputs: AnalysisInput[];
}

const indexers = new Map<number, TermIndexer>();

parentPort?.on("message", ({ id, batch, last, indexKey, inputs }: AnalysisJob) => {
  let indexer = indexers.get(batch);
  if (indexer) indexKey.fill(0);
  else {
    indexer = new TermIndexer(indexKey);
    indexers.set(batch, indexer);
  }
  try {
    parentPort!.postMessage({ id, analyses: inputs.map((input) => analyzeMemory(indexer, input)) });
  } catch {
    parentPort!.postMessage({ id, failed: true });
  } finally {
    if (last) {
      indexers.delete(batch);
      indexer.indexKey.fill(0);
    }
  }
});
