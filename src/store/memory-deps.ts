/** What the memory store functions use of the application context (AppContext satisfies it). */
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { AuditWriter } from "./audit-log.js";
import type { Sql } from "./database.js";
import type { OwnerKeys } from "./owner-keys.js";

export interface MemoryStoreDeps {
  keys: OwnerKeys;
  config: Pick<Config, "memory">;
  logger: Logger;
}

/** The policy run owns its transactions (one per user, under a lease) and audits each. */
export interface PolicyRunDeps extends MemoryStoreDeps {
  db: { sql: Sql };
  audit: AuditWriter;
  metrics?: Pick<Metrics, "policyRan">;
}
