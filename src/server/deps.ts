/** What the services, interceptors and jobs share; built once at start-up by app.ts. */
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { DeploymentSecrets } from "../security/deployment-secrets.js";
import type { TokenService } from "../security/tokens.js";
import type { AuditWriter } from "../store/audit-log.js";
import type { Database } from "../store/database.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  secrets: DeploymentSecrets;
  tokens: TokenService;
  audit: AuditWriter;
  /** The process's Prometheus metrics, recorded by every layer. */
  metrics: Metrics;
}

/** A background job started with the server and stopped (awaited) on shutdown. */
export interface BackgroundJob {
  stop(): Promise<void>;
}
