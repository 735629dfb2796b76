/** The optional embeddings provider and the vectors it produces. */
import { ConfigError, type Source, int, str, bool, optional, secret, MIB } from "./settings.js";
import type { EmbeddingsConfig } from "./schema.js";

/** The embeddings endpoint: a base (…/v1) or the full …/embeddings URL. */
function embeddingsUrl(env: Source, name: string, doc: string): string | undefined {
  const expected = "an http(s) URL";
  const raw = optional(env, name, expected, doc);
  if (raw === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, expected, raw);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError(name, expected, raw);
  const p = u.pathname.replace(/\/+$/, "");
  if (!p.endsWith("/embeddings")) u.pathname = `${p.endsWith("/v1") ? p : `${p}/v1`}/embeddings`;
  return u.toString();
}

export function embeddingsSettings(env: Source): EmbeddingsConfig {
  const url = embeddingsUrl(
    env,
    "MEMORIC_EMBEDDINGS_URL",
    "OpenAI-compatible embeddings endpoint (…/v1 or …/v1/embeddings); it sees memory content in clear. Unset: none.",
  );
  const model = str(
    env,
    "MEMORIC_EMBEDDINGS_MODEL",
    "",
    "a model name",
    "Embedding model (required with the URL).",
    "(unset)",
  );
  const dimensions = int(
    env,
    "MEMORIC_EMBEDDINGS_DIMENSIONS",
    0,
    0,
    8192,
    "Vector length (required with the URL; also enables client-sent vectors); 0: vectors off.",
  );
  const apiKey = secret(env, "MEMORIC_EMBEDDINGS_API_KEY", "a string", "Bearer token for the provider.", "(unset)");
  if (url !== undefined && model === "") throw new ConfigError("MEMORIC_EMBEDDINGS_MODEL", "a model name", "");
  if (url !== undefined && dimensions === 0) throw new ConfigError("MEMORIC_EMBEDDINGS_DIMENSIONS", "1-8192", "0");
  return {
    url,
    model,
    dimensions,
    apiKey,
    timeoutMs: int(env, "MEMORIC_EMBEDDINGS_TIMEOUT_MS", 10_000, 100, 600_000, "Timeout of a backfill request."),
    queryTimeoutMs: int(
      env,
      "MEMORIC_EMBEDDINGS_QUERY_TIMEOUT_MS",
      2_000,
      50,
      60_000,
      "Timeout for embedding a search query; past it the search is lexical only.",
    ),
    batchSize: int(env, "MEMORIC_EMBEDDINGS_BATCH_SIZE", 64, 1, 2048, "Most texts in one embeddings request."),
    maxAttempts: int(env, "MEMORIC_EMBEDDINGS_MAX_ATTEMPTS", 8, 1, 100, "Backfill attempts before a vector fails."),
    pollMs: int(env, "MEMORIC_EMBEDDINGS_POLL_MS", 1_000, 10, 3_600_000, "How often the backfill job looks for work."),
    cacheBytes:
      MIB *
      int(env, "MEMORIC_VECTOR_CACHE_MB", 64, 0, 1_000_000, "Decrypted vector indexes kept in memory per process."),
    sendDimensions: bool(
      env,
      "MEMORIC_EMBEDDINGS_SEND_DIMENSIONS",
      false,
      "Send `dimensions` in each request, for models that shorten their vectors (OpenAI text-embedding-3); " +
        "off: the model's own length must equal MEMORIC_EMBEDDINGS_DIMENSIONS (some providers reject the field).",
    ),
  };
}
