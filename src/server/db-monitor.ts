/**
 * Readiness follows the database: a cheap `select 1` on an interval, with a timeout. The result
 * drives the health registry's readiness entries; liveness does not depend on the database (a
 * restart would not fix an unreachable database).
 */
import type { HealthRegistry } from "../domain/health-registry.js";
import type { Logger } from "../logger.js";
import { DatabaseUnavailableError, type Database } from "../store/database.js";
import { markDatabaseDown, markDatabaseUp } from "../store/db-gate.js";

export interface DbProbeResult {
  ok: boolean;
  latencyMs: number | null;
  checkedAt: Date;
  error?: string;
}

export class DbMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failures = 0;
  last: DbProbeResult = { ok: false, latencyMs: null, checkedAt: new Date(0) };

  constructor(
    private readonly db: Database,
    private readonly registry: HealthRegistry,
    /** Names that follow the database (readiness, "" and every served service). */
    private readonly dependents: readonly string[],
    private readonly opts: { intervalMs: number; timeoutMs: number },
    private readonly logger: Logger,
  ) {}

  async probe(): Promise<DbProbeResult> {
    let result: DbProbeResult;
    let timedOut = false;
    try {
      const latencyMs = await this.db.ping(this.opts.timeoutMs);
      result = { ok: true, latencyMs, checkedAt: new Date() };
    } catch (err) {
      timedOut = err instanceof DatabaseUnavailableError && err.cause === undefined;
      result = { ok: false, latencyMs: null, checkedAt: new Date(), error: (err as Error).message };
    }
    this.failures = result.ok ? 0 : this.failures + 1;
    if (result.ok !== this.last.ok) {
      this.logger[result.ok ? "info" : "warn"](
        { error: result.error },
        result.ok ? "database reachable" : "database unreachable",
      );
    }
    this.last = result;
    // Calls fail fast (Unavailable, retry after about one probe interval) until a probe succeeds:
    // at once when the database refused or dropped the probe, from the second slow probe in a row
    // when it only timed out (a busy pool is not an outage). Never in embedded mode: PGlite is in
    // this process and its one connection makes a probe wait behind every call.
    if (result.ok) markDatabaseUp(this.db.sql);
    else if (this.db.mode !== "embedded" && (!timedOut || this.failures >= 2)) {
      markDatabaseDown(this.db.sql, this.opts.intervalMs / 1000);
    }
    for (const name of this.dependents) this.registry.set(name, result.ok ? "SERVING" : "NOT_SERVING");
    return result;
  }

  start(): void {
    const tick = async () => {
      if (this.running) return; // never stack probes on a slow database
      this.running = true;
      try {
        await this.probe();
      } finally {
        this.running = false;
      }
    };
    this.timer = setInterval(() => void tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
