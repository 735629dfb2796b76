/**
 * The process's shared objects, built once at start-up (server/app.ts openCore) and handed to the
 * services, interceptors, jobs and CLI. Every cache that outlives a call lives here, so two servers
 * in one process (tests) never share state through a module.
 */
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics/metrics.js";
import type { DeploymentSecrets } from "./security/deployment-secrets.js";
import type { RevocationCache } from "./security/revocation-cache.js";
import type { TokenService } from "./security/tokens.js";
import type { AuditWriter } from "./store/audit-log.js";
import type { Database } from "./store/database.js";
import type { OwnerKeys } from "./store/owner-keys.js";
import type { EmbeddingProvider } from "./embeddings/provider.js";
import type { VectorCache } from "./store/memory-vectors.js";

export interface AppContext {
  config: Config;
  logger: Logger;
  db: Database;
  secrets: DeploymentSecrets;
  tokens: TokenService;
  audit: AuditWriter;
  /** The process's Prometheus metrics, recorded by every layer. */
  metrics: Metrics;
  /** Per-user data keys, unwrapped and cached. */
  keys: OwnerKeys;
  /** What authentication caches about credentials; invalidated by the replica that changes them. */
  revocations: RevocationCache;
  /** The embedding provider (MEMORIC_EMBEDDINGS_URL), if any. */
  embedder?: EmbeddingProvider | undefined;
  /** Decrypted vector indexes (store/memory-vectors.ts); absent when vectors are off. */
  vectors?: VectorCache | undefined;
}
