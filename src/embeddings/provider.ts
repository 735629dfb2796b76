/**
 * The embedding provider (DESIGN.md §6 "Vectors"): any OpenAI-compatible POST /v1/embeddings
 * endpoint (OpenAI, Azure, Ollama, vLLM, TEI, LM Studio). It receives memory content and queries IN
 * CLEAR: the deployment chooses it (threat-model.md). Requests are batched, bounded by a timeout,
 * retried with backoff on 429, 5xx and network errors, and their answers checked (count, order,
 * dimension, finite numbers). The API key travels as a Bearer header only; no error, log line or
 * metric carries it, the texts, or the provider's answer.
 */
import type { EmbeddingsConfig } from "../config.js";
import { vectorProblem } from "../domain/vectors.js";
import type { EmbeddingOutcome, Metrics } from "../metrics/metrics.js";

export interface EmbedOptions {
  /** Per request; default the configured backfill timeout. */
  timeoutMs?: number;
  /** Tries per request (1 = no retry); default 3. */
  attempts?: number;
}

export interface EmbeddingProvider {
  readonly model: string;
  readonly dimensions: number;
  /** One vector per text, in order. Throws EmbeddingError. */
  embed(texts: string[], opts?: EmbedOptions): Promise<Float32Array[]>;
}

/** Why embedding failed; the message names the outcome and an HTTP status at most. */
export class EmbeddingError extends Error {
  override name = "EmbeddingError";
  constructor(
    readonly outcome: Exclude<EmbeddingOutcome, "ok">,
    message: string,
  ) {
    super(message);
  }
}

const RETRYABLE = new Set<EmbeddingOutcome>(["timeout", "network", "rate_limited", "http_error"]);
const MAX_RETRY_AFTER_MS = 5_000;

interface Wire {
  data?: Array<{ index?: number; embedding?: unknown }>;
}

export interface ProviderOptions {
  metrics?: Pick<Metrics, "embeddingRequested">;
  /** First backoff; doubles per retry (with jitter). Default 200 ms. */
  retryBaseMs?: number;
}

export class OpenAiEmbeddings implements EmbeddingProvider {
  readonly model: string;
  readonly dimensions: number;
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #cfg: EmbeddingsConfig;
  readonly #opts: ProviderOptions;

  constructor(cfg: EmbeddingsConfig & { url: string }, opts: ProviderOptions = {}) {
    this.#url = cfg.url;
    this.#apiKey = cfg.apiKey;
    this.model = cfg.model;
    this.dimensions = cfg.dimensions;
    this.#cfg = cfg;
    this.#opts = opts;
  }

  async embed(texts: string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.#cfg.batchSize) {
      out.push(...(await this.#withRetries(texts.slice(i, i + this.#cfg.batchSize), opts)));
    }
    return out;
  }

  async #withRetries(batch: string[], opts: EmbedOptions): Promise<Float32Array[]> {
    const attempts = Math.max(opts.attempts ?? 3, 1);
    const base = this.#opts.retryBaseMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#request(batch, opts.timeoutMs ?? this.#cfg.timeoutMs);
      } catch (err) {
        const e = err instanceof RetryAfter ? err.error : err;
        if (!(e instanceof EmbeddingError) || !RETRYABLE.has(e.outcome) || attempt >= attempts) throw e;
        const backoff = base * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        const wait = err instanceof RetryAfter ? Math.max(err.ms, backoff) : backoff;
        await new Promise((r) => setTimeout(r, Math.min(wait, MAX_RETRY_AFTER_MS)));
      }
    }
  }

  async #request(batch: string[], timeoutMs: number): Promise<Float32Array[]> {
    const started = performance.now();
    const record = (outcome: EmbeddingOutcome) =>
      this.#opts.metrics?.embeddingRequested(outcome, (performance.now() - started) / 1000);
    const fail = (outcome: Exclude<EmbeddingOutcome, "ok">, message: string): never => {
      record(outcome);
      throw new EmbeddingError(outcome, message);
    };
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let res: Response;
    let body: Wire;
    try {
      res = await fetch(this.#url, {
        method: "POST",
        headers,
        body: JSON.stringify({
          model: this.model,
          input: batch,
          encoding_format: "float",
          // Only when asked: providers whose models cannot shorten vectors ignore or reject the field.
          ...(this.#cfg.sendDimensions ? { dimensions: this.dimensions } : {}),
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status === 429) {
        await res.body?.cancel();
        record("rate_limited");
        const ms = Number(res.headers.get("retry-after")) * 1000;
        throw new RetryAfter(
          new EmbeddingError("rate_limited", "embedding provider: rate limited (429)"),
          Number.isFinite(ms) ? ms : 0,
        );
      }
      if (!res.ok) {
        await res.body?.cancel();
        return fail(res.status >= 500 ? "http_error" : "invalid_response", `embedding provider: HTTP ${res.status}`);
      }
      body = (await res.json()) as Wire;
    } catch (err) {
      if (err instanceof RetryAfter || err instanceof EmbeddingError) throw err;
      const name = (err as { name?: string }).name;
      if (name === "TimeoutError" || name === "AbortError") return fail("timeout", "embedding provider: timed out");
      if (name === "SyntaxError") return fail("invalid_response", "embedding provider: answer is not JSON");
      return fail("network", "embedding provider: unreachable");
    }
    const vectors = parse(body, batch.length, this.dimensions);
    if (typeof vectors === "string") return fail("invalid_response", `embedding provider: ${vectors}`);
    record("ok");
    return vectors;
  }
}

/** A 429's wait, carried to the retry loop. */
class RetryAfter extends Error {
  constructor(
    readonly error: EmbeddingError,
    readonly ms: number,
  ) {
    super(error.message);
  }
}

/** The vectors in input order, or what is wrong with the answer (no values quoted). */
function parse(body: Wire, count: number, dims: number): Float32Array[] | string {
  if (!Array.isArray(body?.data) || body.data.length !== count) return `expected ${count} embeddings`;
  const out: Float32Array[] = new Array<Float32Array>(count);
  for (const [i, item] of body.data.entries()) {
    const index = typeof item?.index === "number" ? item.index : i;
    const e = item?.embedding;
    if (!Number.isInteger(index) || index < 0 || index >= count || out[index]) return "bad or repeated index";
    if (!Array.isArray(e) || e.some((x) => typeof x !== "number")) return "embedding is not a list of numbers";
    const problem = vectorProblem(e as number[], dims);
    if (problem) return `embedding ${problem}`;
    out[index] = Float32Array.from(e as number[]);
  }
  return out;
}
