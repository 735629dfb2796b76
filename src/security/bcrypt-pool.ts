/**
 * bcrypt on threads of the lowest CPU priority. bcrypt is CPU-bound by design (cost 12: ~250 ms of
 * one core); on libuv's pool (4 threads, normal priority) 50 concurrent logins took every core of a
 * 2-core machine from the calls of everyone else. Here at most one core less than the machine has
 * hashes at a time (one on 2 cores), each on a worker thread that lowers its own priority (nice 19,
 * Linux: setpriority on the thread id): a storm of logins runs on what the other calls leave idle,
 * so it costs the stormers latency, not the other callers. Process-wide, like the cores it shares.
 * Where threads cannot be created, bcrypt's own async API is used, still at most SLOTS at a time.
 */
import bcrypt from "bcrypt";
import { createRequire } from "node:module";
import os from "node:os";
import { Worker } from "node:worker_threads";

const SLOTS = Math.max(1, os.availableParallelism() - 1);

// Plain CommonJS, evaluated by the worker (no loader or build step involved). Passwords travel by
// postMessage inside the process only; replies carry a hash or a boolean, failures no detail.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
try {
  const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
  require("node:os").setPriority(tid, 19);
} catch {}
const bcrypt = require(workerData.bcrypt);
parentPort.on("message", ({ id, op, a, b }) => {
  let reply;
  try {
    reply = { id, value: op === "hash" ? bcrypt.hashSync(a, b) : bcrypt.compareSync(a, b) };
  } catch {
    reply = { id, failed: true };
  }
  parentPort.postMessage(reply);
});`;

type Op = { op: "hash"; a: string; b: number } | { op: "compare"; a: string; b: string };
interface Reply {
  id: number;
  value?: string | boolean;
  failed?: boolean;
}

class LowPriorityThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  dead = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bcrypt: createRequire(import.meta.url).resolve("bcrypt") },
    });
    this.worker.on("message", (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      if (r.failed) p?.reject(new Error("bcrypt failed"));
      else p?.resolve(r.value);
    });
    const fail = () => {
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new Error("bcrypt thread stopped"));
      this.pending.clear();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", fail);
    this.worker.unref(); // referenced only while a job is in flight (run): never keeps an idle process alive
  }

  run(op: Op): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, ...op });
    });
  }
}

const idle: (LowPriorityThread | undefined)[] = Array.from({ length: SLOTS }, () => undefined);
const waiting: (() => void)[] = [];
let threadsUnavailable = false;

function thread(t: LowPriorityThread | undefined): LowPriorityThread | undefined {
  if (threadsUnavailable) return undefined;
  if (t && !t.dead) return t;
  try {
    return new LowPriorityThread();
  } catch {
    threadsUnavailable = true;
    return undefined;
  }
}

async function onSlot<T>(op: Op, fallback: () => Promise<T>): Promise<T> {
  if (idle.length === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  const t = thread(idle.pop());
  try {
    return t ? ((await t.run(op)) as T) : await fallback();
  } finally {
    idle.push(t);
    waiting.shift()?.();
  }
}

/** bcrypt.hash on a low-priority thread (see the file comment). */
export function bcryptHash(password: string, cost: number): Promise<string> {
  return onSlot({ op: "hash", a: password, b: cost }, () => bcrypt.hash(password, cost));
}

/** bcrypt.compare on a low-priority thread (see the file comment). */
export function bcryptCompare(password: string, hash: string): Promise<boolean> {
  return onSlot({ op: "compare", a: password, b: hash }, () => bcrypt.compare(password, hash));
}
