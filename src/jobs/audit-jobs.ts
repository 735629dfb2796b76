/**
 * Background work of the audit trail:
 * - system.startup / system.shutdown events;
 * - the checkpointer: every checkpointIntervalSeconds, a signed snapshot of every shard head (also
 *   when nothing changed: a fresh signed checkpoint bounds how much tail could be cut unnoticed);
 * - retention: per shard, deletes the prefix that is older than retentionDays AND covered by the
 *   latest checkpoint, then signs a checkpoint recording what was removed (prunedThrough).
 * Replicas coordinate through one transaction-level advisory lock, so one writes at a time. The
 * SQL lives in store/audit-checkpoints.ts; this module schedules it and reports.
 */
import type { AppContext } from "../app-context.js";
import type { BackgroundJob } from "./background-job.js";
import { pruneAuditLog, writeCheckpoint, type RetentionResult } from "../store/audit-checkpoints.js";
import { SERVICE_VERSION } from "../version.js";

/**
 * One retention pass with its reporting: a prefix that fails its hash check is kept and reported
 * as security.suspicious.activity (someone edited rows that were about to be deleted).
 */
export async function runRetention(
  deps: Pick<AppContext, "config" | "logger" | "secrets" | "audit" | "db">,
  now?: Date,
): Promise<RetentionResult> {
  const r = await pruneAuditLog(deps.db.sql, deps.secrets.auditKey, {
    retentionDays: deps.config.audit.retentionDays,
    now,
  });
  if (r.deleted > 0) deps.logger.info({ deleted: r.deleted, shards: r.pruned.length }, "audit retention pruned rows");
  if (r.skipped.length > 0) {
    deps.logger.error({ shards: r.skipped }, "audit retention found a broken chain prefix; kept it");
    await deps.audit.recordStandalone(
      { system: "retention" },
      {
        type: "security.suspicious.activity",
        success: false,
        code: "data_loss",
        resourceType: "audit_log",
        details: { shards: r.skipped },
      },
    );
  }
  return r;
}

export interface AuditJobsOptions {
  /** How often retention runs (it also needs a checkpoint tick); default hourly. */
  retentionEveryMs?: number;
}

/** Started by app.ts next to the other jobs; stop() writes system.shutdown and a final checkpoint. */
export function startAuditJobs(deps: AppContext, options: AuditJobsOptions = {}): BackgroundJob {
  const { config, logger, secrets, audit } = deps;
  const sql = deps.db.sql;
  if (!config.audit.enabled) return { stop: async () => {} };
  const actor = { system: "server" };
  const intervalMs = config.audit.checkpointIntervalSeconds * 1000;
  const retentionEveryMs = options.retentionEveryMs ?? 3_600_000;
  let lastRetention = 0;
  let running: Promise<void> | undefined;

  const logFailure = (what: string) => (err: unknown) =>
    logger.error({ err: err instanceof Error ? err.message : String(err) }, `audit ${what} failed`);

  const started = audit
    .recordStandalone(actor, {
      type: "system.startup",
      success: true,
      details: { version: SERVICE_VERSION, shards: config.audit.shards },
    })
    .catch(logFailure("startup event"));

  const tick = async () => {
    // Half an interval: with N replicas ticking out of phase, about one checkpoint per interval.
    const cp = await writeCheckpoint(sql, secrets.auditKey, { minIntervalMs: intervalMs / 2 });
    if (cp) logger.debug({ checkpoint: cp.id, heads: cp.heads.length }, "audit checkpoint written");
    if (Date.now() - lastRetention >= retentionEveryMs) {
      lastRetention = Date.now();
      await runRetention(deps);
    }
  };

  const timer = setInterval(() => {
    if (running) return; // never stack ticks behind a slow database
    running = tick()
      .catch(logFailure("checkpoint/retention"))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();

  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(timer);
        await running;
        await started;
        await audit
          .recordStandalone(actor, { type: "system.shutdown", success: true })
          .catch(logFailure("shutdown event"));
        // A last checkpoint seals the tail, shutdown event included.
        await writeCheckpoint(sql, secrets.auditKey).catch(logFailure("final checkpoint"));
      })()),
  };
}
