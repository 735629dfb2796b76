/**
 * The client's call pipeline, outermost first:
 *   errors (every failure becomes a MemoricError) -> idempotency keys on creates
 *   -> retries (Unavailable, ResourceExhausted with a hint; jittered backoff) -> auth (bearer,
 *   refresh before expiry, one recovery on Unauthenticated).
 * Server-streaming calls are retried and recovered only before their first message.
 */
import { Code, ConnectError, type Interceptor, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { MemoricError } from "./errors.js";
import type { Session } from "./session.js";

export interface RetryOptions {
  /** Attempts in all, including the first. Default 4; 1 disables retries. */
  maxAttempts?: number;
  /** First backoff, doubled per attempt (full jitter). Default 200 ms. */
  initialBackoffMs?: number;
  /** Largest backoff without a server hint. Default 5 s. */
  maxBackoffMs?: number;
  /** A server hint above this is not waited for: the error is thrown. Default 30 s. */
  maxHintMs?: number;
}

/** Not safe to send twice: a retry could spend a credential or create a second account/key. */
const NEVER_RETRIED = new Set([
  "memoric.v1.AuthService.Register",
  "memoric.v1.AuthService.Refresh",
  "memoric.v1.AuthService.ChangePassword",
  "memoric.v1.AuthService.CreateApiKey",
  "memoric.v1.AuthService.CreateServiceAccount",
]);

export const errorInterceptor: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    if (!res.stream) return res;
    return { ...res, message: mapStreamErrors(res.message) };
  } catch (err) {
    throw MemoricError.from(err);
  }
};

async function* mapStreamErrors<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* source;
  } catch (err) {
    throw MemoricError.from(err);
  }
}

/** A random UUID; randomUUID exists only in secure contexts (https, localhost), getRandomValues everywhere. */
function newKey(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Creates without an idempotency key get one, set once before any retry so a retry never duplicates. */
export const idempotencyInterceptor: Interceptor = (next) => (req) => {
  if (!req.stream && req.method.parent.typeName === "memoric.v1.MemoryService") {
    const message = req.message as { idempotencyKey?: string; memories?: { idempotencyKey?: string }[] };
    if (req.method.name === "CreateMemory" && !message.idempotencyKey) message.idempotencyKey = newKey();
    if (req.method.name === "BatchCreateMemories") {
      for (const item of message.memories ?? []) if (!item.idempotencyKey) item.idempotencyKey = newKey();
    }
  }
  return next(req);
};

export function retryInterceptor(opts: RetryOptions = {}): Interceptor {
  const maxAttempts = opts.maxAttempts ?? 4;
  const initial = opts.initialBackoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 5_000;
  const maxHint = opts.maxHintMs ?? 30_000;
  return (next) => async (req) => {
    const name = `${req.method.parent.typeName}.${req.method.name}`;
    const attempt = replayable(req, next);
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        const err = MemoricError.from(e);
        const hint = err.retryDelayMs;
        const retryable = err.code === Code.Unavailable || (err.code === Code.ResourceExhausted && hint !== undefined);
        if (!retryable || n >= maxAttempts || NEVER_RETRIED.has(name) || req.signal.aborted) throw err;
        if (hint !== undefined && hint > maxHint) throw err;
        const backoff = Math.min(maxBackoff, initial * 2 ** (n - 1));
        const delay = hint !== undefined ? hint + Math.random() * hint * 0.2 : Math.random() * backoff;
        await sleep(delay, req.signal);
      }
    }
  };
}

export function authInterceptor(session: Session): Interceptor {
  return (next) => async (req) => {
    const attempt = replayable(req, next);
    const bearer = await session.bearer();
    if (bearer) req.header.set("authorization", `Bearer ${bearer}`);
    try {
      return await attempt();
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code !== Code.Unauthenticated) throw err;
      const renewed = await session.recover(bearer);
      if (!renewed) throw err;
      req.header.set("authorization", `Bearer ${renewed}`);
      return await attempt();
    }
  };
}

type Next = Parameters<Interceptor>[0];

/**
 * A function sending the request again on each call. For a server-streaming call the single request
 * message is kept, and the response's first message is awaited, so a failure before any message
 * is thrown from here (and can be retried) while later ones reach the caller's loop.
 */
function replayable(req: Parameters<Next>[0], next: Next): () => ReturnType<Next> {
  if (!req.stream) return () => next(req);
  let inputs: unknown[] | undefined;
  return async () => {
    inputs ??= await collect(req.message);
    const res = (await next({ ...req, message: fromArray(inputs) } as StreamRequest)) as StreamResponse;
    const it = res.message[Symbol.asyncIterator]();
    const first = await it.next();
    return { ...res, message: rest(first, it) };
  };
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function* fromArray<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

async function* rest<T>(first: IteratorResult<T>, it: AsyncIterator<T>): AsyncIterable<T> {
  if (first.done) return;
  yield first.value;
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new ConnectError("deadline or cancellation while waiting to retry", Code.DeadlineExceeded));
    }
    signal.addEventListener("abort", abort, { once: true });
  });
}
