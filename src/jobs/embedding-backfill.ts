/**
 * Embeds memories waiting for a vector (written while the provider was down, or never tried: writes
 * never call the provider). Every replica polls every MEMORIC_EMBEDDINGS_POLL_MS; a claim leases rows,
 * so replicas share the queue without doing a row twice. Per owner: decrypt the contents, ask the
 * provider (batched, bounded retries), seal the vectors with the owner's key, store them as ready
 * and move the owner's vector version. A failure schedules a retry with backoff; after
 * MEMORIC_EMBEDDINGS_MAX_ATTEMPTS the vector is marked failed (the memory stays searchable lexically).
 */
import type { AppContext } from "../app-context.js";
import { EmbeddingError } from "../embeddings/provider.js";
import { sealVector, vectorSettings } from "../store/memory-vectors.js";
import { claimPending, pendingTexts, retryLater, storeReady, type ClaimedVector } from "../store/vector-backfill.js";
import type { BackgroundJob } from "./background-job.js";

/** A claim outlives any request: a crashed worker's rows come back after it. */
const LEASE_SECONDS = 120;

export interface BackfillJob extends BackgroundJob {
  /** One round now (tests, bench); resolves to the number of rows claimed. */
  runOnce(): Promise<number>;
}

type Deps = Pick<AppContext, "config" | "logger" | "db" | "keys" | "metrics" | "embedder">;

export async function backfillOnce(deps: Deps, retryBaseSeconds = 1): Promise<number> {
  const settings = vectorSettings(deps.config);
  const embedder = deps.embedder;
  if (!settings || !embedder) return 0;
  const cfg = deps.config.memory.embeddings;
  const claimed = await claimPending(deps.db.sql, cfg.batchSize, LEASE_SECONDS);
  const byOwner = new Map<string, ClaimedVector[]>();
  for (const c of claimed) byOwner.set(c.owner_id, [...(byOwner.get(c.owner_id) ?? []), c]);
  for (const rows of byOwner.values()) {
    const owner = { accountId: rows[0]!.account_id, ownerId: rows[0]!.owner_id };
    const { texts, key } = await pendingTexts(deps, owner, rows);
    deps.metrics.backfilled("stale", rows.length - texts.length);
    if (!key || texts.length === 0) continue;
    try {
      const vectors = await embedder.embed(
        texts.map((t) => t.content),
        { timeoutMs: cfg.timeoutMs, attempts: 2 },
      );
      const sealed = await Promise.all(
        texts.map(async (t, i) => ({
          id: t.id,
          version: t.version,
          ct: await sealVector(key, owner.ownerId, t.id, settings.model, vectors[i]!),
        })),
      );
      deps.metrics.backfilled("ready", await storeReady(deps.db.sql, owner, settings.model, settings.dims, sealed));
    } catch (err) {
      if (!(err instanceof EmbeddingError)) throw err;
      const ids = texts.map((t) => t.id);
      const failed = await retryLater(deps.db.sql, owner, ids, cfg.maxAttempts, retryBaseSeconds);
      deps.metrics.backfilled("retry", ids.length - failed);
      deps.metrics.backfilled("failed", failed);
      deps.logger.warn(
        { outcome: err.outcome, memories: ids.length, failed },
        "embedding backfill: the provider failed; will retry",
      );
    }
  }
  return claimed.length;
}

export function startEmbeddingBackfill(deps: AppContext): BackfillJob {
  if (!deps.embedder || !vectorSettings(deps.config)) return { stop: async () => {}, runOnce: async () => 0 };
  let running: Promise<number> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const runOnce = (): Promise<number> =>
    (running ??= backfillOnce(deps)
      .catch((err: unknown) => {
        deps.logger.error({ err: err instanceof Error ? err.name : "error" }, "embedding backfill failed");
        return 0;
      })
      .finally(() => {
        running = undefined;
      }));
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      // A full claim means more work is waiting: go again at once.
      void runOnce().then((n) => schedule(n >= deps.config.memory.embeddings.batchSize ? 0 : pollMs));
    }, ms);
    timer.unref();
  };
  const pollMs = deps.config.memory.embeddings.pollMs;
  schedule(pollMs);
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
