/**
 * The query embedding of a search or of GetContext: the client's own, else the provider's within the
 * short query timeout (one attempt: a search does not wait for retries). A provider failure degrades
 * the ranking to lexical with a metric and one log line (the outcome only, never the query).
 */
import type { AppContext } from "../../app-context.js";
import { EmbeddingError } from "../../embeddings/provider.js";
import { SearchMode } from "../../../gen/memoric/v1/memory_pb.js";
import type { SearchMode as SearchModeName } from "../../metrics/metrics.js";
import type { SearchInput } from "../../store/memory-search.js";

export interface QueryVector {
  vector: Float32Array | undefined;
  /** The provider was asked and failed. */
  degraded: boolean;
}

export async function queryVector(
  app: AppContext,
  input: Pick<SearchInput, "query" | "queryVector">,
): Promise<QueryVector> {
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

const MODES = { hybrid: SearchMode.HYBRID, lexical: SearchMode.LEXICAL, degraded: SearchMode.DEGRADED } as const;

/** The mode a ranking ran in (also counted in memoric_search_mode_total when it had a query). */
export function searchMode(q: QueryVector, dense: boolean, hasQuery: boolean, app: AppContext): SearchMode {
  const mode: SearchModeName = dense ? "hybrid" : q.degraded ? "degraded" : "lexical";
  if (hasQuery) app.metrics.searched(mode);
  return MODES[mode];
}
