/**
 * Batches are analyzed (derived metadata, blind index terms and filter values: memory-analysis.ts)
 * on threads of their own. That work was about half of a batch's main-thread time: on 2 cores the
 * one JavaScript thread was the bottleneck of batch imports while PostgreSQL's core idled, and a
 * batch of 1,000 held the event loop for every other call in between. Here the main thread only
 * seals (the data key never leaves it) and talks SQL. One call's batch is analyzed on one thread;
 * calls spread over `threads` (one less than the machine's cores, at least one). Process-wide, like
 * the cores it shares; a thread is referenced only while it has work, so it never keeps a process
 * alive. Where threads cannot be started (or one fails), the batch is analyzed inline: same
 * results, slower.
 *
 * What crosses to a thread: the owner's blind index key and the batch's plaintext, by postMessage
 * inside the process, for that one batch (analysis-worker.ts drops both with its last chunk).
 */
import { createRequire } from "node:module";
import os from "node:os";
import { setImmediate as nextTurn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { analyzeMemory, TermIndexer, type Analysis, type AnalysisInput } from "./memory-analysis.js";
import type { AnalysisJob } from "./analysis-worker.js";

/** Smaller batches are analyzed inline: a round trip to a thread costs about what 2–3 memories do. */
export const OFFLOAD_MIN = 8;
/** Memories per message (and per event loop turn inline), so a large batch's sealing overlaps its analysis. */
export const PREPARE_CHUNK = 64;

type Reply = { id: number; analyses: Analysis[]; failed?: undefined } | { id: number; failed: true };

class AnalysisThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (a: Analysis[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private answered = false;
  private stopping = false;
  dead = false;

  constructor() {
    this.worker = startWorker();
    this.worker.on("message", (r: Reply) => {
      this.answered = true;
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      if (r.failed) p?.reject(new Error("analysis failed"));
      else p?.resolve(r.analyses.map(revive));
    });
    const fail = () => {
      // One that never answered cannot start here (no threads, no bundler from source): stop trying.
      if (!this.answered && !this.stopping) threadsUnavailable = true;
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new Error("analysis thread stopped"));
      this.pending.clear();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", fail);
    this.worker.unref();
  }

  get load() {
    return this.pending.size;
  }

  /** Analyzes one chunk of a batch; a batch's chunks are sent in order, the final one `last`. */
  run(batch: number, last: boolean, indexKey: Uint8Array, inputs: AnalysisInput[]): Promise<Analysis[]> {
    const job: AnalysisJob = { id: this.nextId++, batch, last, indexKey, inputs };
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(job);
    });
  }

  async stop() {
    this.stopping = true;
    await this.worker.terminate();
  }
}

/**
 * Runs the compiled worker (a built server), or, from source, the worker bundled in memory by esbuild
 * (a development dependency, like the console's in-memory build): a worker does not inherit
 * `--import tsx` on Node 20, and registering tsx in it cost ~28 MB more (its hooks thread) than the
 * bundle. The bundle's `import.meta.url` is the worker's own (its modules only resolve packages).
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) {
    return new Worker(new URL("./analysis-worker.js", import.meta.url), { resourceLimits: LIMITS });
  }
  workerSource ??= bundledWorker();
  return new Worker(workerSource, { eval: true, resourceLimits: LIMITS });
}

let workerSource: string | undefined;

// The thread's garbage is short-lived: a young generation of 8 MB instead of V8's default keeps a
// busy thread ~15 MB smaller (batches of 1,000 at 4 streams: RSS 297-306 -> 275-291 MB) at the same rate.
const LIMITS = { maxYoungGenerationSizeMb: 8 };

function bundledWorker(): string {
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
  const entry = new URL("./analysis-worker.ts", import.meta.url);
  const { outputFiles } = esbuild.buildSync({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    define: { "import.meta.url": JSON.stringify(entry.href) },
    logLevel: "silent",
  });
  return outputFiles[0]!.text;
}

/** A clone turned the fingerprint's Buffer into a plain Uint8Array; the driver binds Buffers. */
function revive(a: Analysis): Analysis {
  const f = a.indexed.terms.fingerprint;
  if (f) a.indexed.terms.fingerprint = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  return a;
}

const THREADS = Math.max(1, os.availableParallelism() - 1);
const threads: (AnalysisThread | undefined)[] = Array.from({ length: THREADS }, () => undefined);
let threadsUnavailable = false;

function leastBusyThread(): AnalysisThread | undefined {
  if (threadsUnavailable) return undefined;
  let best = 0;
  for (let i = 0; i < threads.length; i++) {
    const t = threads[i];
    if (!t || t.dead) {
      try {
        threads[i] = new AnalysisThread();
      } catch {
        threadsUnavailable = true;
        return undefined;
      }
    }
    if (threads[i]!.load < threads[best]!.load) best = i;
  }
  return threads[best];
}

async function analyzeInline(indexKey: Uint8Array, inputs: AnalysisInput[]): Promise<Analysis[]> {
  const indexer = new TermIndexer(indexKey);
  const out: Analysis[] = [];
  // A turn between chunks: a batch of 1,000 would otherwise hold the event loop for half a second.
  for (let start = 0; start < inputs.length; start += PREPARE_CHUNK) {
    if (start > 0) await nextTurn();
    for (const input of inputs.slice(start, start + PREPARE_CHUNK)) out.push(analyzeMemory(indexer, input));
  }
  return out;
}

/**
 * Analyzes a batch under `indexKey`, in order. Returns one promise per chunk of the batch, so the
 * caller can seal a chunk while the next one is analyzed.
 */
export function analyzeBatch(indexKey: Uint8Array, inputs: AnalysisInput[]): Promise<Analysis[]>[] {
  const thread = inputs.length >= OFFLOAD_MIN ? leastBusyThread() : undefined;
  if (!thread) return [analyzeInline(indexKey, inputs)];
  const chunks: Promise<Analysis[]>[] = [];
  const batch = nextBatch++;
  for (let start = 0; start < inputs.length; start += PREPARE_CHUNK) {
    const chunk = inputs.slice(start, start + PREPARE_CHUNK);
    const last = start + PREPARE_CHUNK >= inputs.length;
    chunks.push(thread.run(batch, last, indexKey, chunk).catch(() => analyzeInline(indexKey, chunk)));
  }
  return chunks;
}

let nextBatch = 0;

/** Threads up now (they start with the first batch that needs one). */
export function analysisThreadsRunning(): number {
  return threads.filter((t) => t && !t.dead).length;
}

/** Stops every thread; a batch in flight finishes inline, and the next one starts a thread again. */
export async function stopAnalysisThreads(): Promise<void> {
  const running = threads.splice(0, threads.length, ...threads.map(() => undefined));
  await Promise.all(running.map((t) => t?.stop()));
}
