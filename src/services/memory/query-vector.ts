/**
 * A search's query embedding: the client's own, else the provider's within the short query timeout
 * (one attempt: a search does not wait for retries). A provider failure degrades the search to
 * lexical with a metric and one log line (the outcome only, never the query).
 */
import type { AppContext } from "../../app-context.js";
import { EmbeddingError } from "../../embeddings/provider.js";
import type { SearchMode } from "../../metrics/metrics.js";
import type { SearchInput } from "../../store/memory-search.js";

export interface QueryVector {
  vector: Float32Array | undefined;
  /** The provider was asked and failed. */
  degraded: boolean;
}

export async function queryVector(app: AppContext, input: SearchInput): Promise<QueryVector> {
  if (input.queryVector) return { vector: input.queryVector, degraded: false };
  const embedder = app.embedder;
  if (!embedder || input.query.trim() === "") return { vector: undefined, degraded: false };
  try {
    const [vector] = await embedder.embed([input.query], {
      timeoutMs: app.config.memory.embeddings.queryTimeoutMs,
      attempts: 1,
    });
    return { vector, degraded: false };
  } catch (err) {
    const outcome = err instanceof EmbeddingError ? err.outcome : "error";
    app.logger.warn({ outcome }, "search degraded to lexical: the query could not be embedded");
    return { vector: undefined, degraded: true };
  }
}

/** The mode a search ran in (also counted in memoric_search_mode_total when it had a query). */
export function searchMode(q: QueryVector, dense: boolean, hasQuery: boolean, app: AppContext): SearchMode {
  const mode: SearchMode = dense ? "hybrid" : q.degraded ? "degraded" : "lexical";
  if (hasQuery) app.metrics.searched(mode);
  return mode;
}
