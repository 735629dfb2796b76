/**
 * `memoric audit verify`: recomputes every audit chain against the signed checkpoints, straight
 * from the database (the server need not run), prints the result and records audit.verified.
 * Exit codes: 0 intact, 1 tampered/missing/truncated, 2 could not verify.
 */
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { resolveSecrets } from "../security/deployment-secrets.js";
import { createAuditWriter } from "../store/audit-log.js";
import { verifyAuditLog } from "../store/audit-verify.js";
import { openDatabase } from "../store/database.js";
import { SYSTEM } from "../store/tx.js";

export interface AuditVerifyOptions {
  config: Config;
  logger: Logger;
  /** One JSON object instead of a sentence. */
  json?: boolean;
  /** Where the result line goes (default stdout). */
  write?: (line: string) => void;
}

const checkedBefore = (result: { checked: number }) => `${result.checked} rows checked before`;

export async function auditVerifyCommand(options: AuditVerifyOptions): Promise<number> {
  const { config, logger } = options;
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  const fail = (message: string) => {
    write(options.json ? JSON.stringify({ ok: false, error: message }) : `memoric audit verify: ${message}`);
    return 1; // exit code 2 means a usage error (see the CLI's usage text)
  };
  let secrets;
  try {
    secrets = await resolveSecrets(config);
  } catch (err) {
    return fail(err instanceof Error ? err.message : "secrets unavailable");
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2, logger });
  try {
    let result;
    try {
      result = await verifyAuditLog(db.sql, SYSTEM, secrets.auditKey);
    } catch (err) {
      const code = (err as { code?: string }).code;
      return fail(
        code === "42P01"
          ? "no audit log in this database (start the server once to create it)"
          : "database error while reading the audit log",
      );
    }
    const bad = result.firstBad;
    await createAuditWriter({ sql: db.sql, config: config.audit, logger })
      .recordStandalone(
        { system: "cli" },
        {
          type: "audit.verified",
          success: true,
          ...(bad ? { severity: "critical" } : {}),
          resourceType: "audit_log",
          details: {
            ok: result.ok,
            checked: result.checked,
            checkpoints: result.checkpointsVerified,
            ...(bad ? { shard: bad.shard, seq: bad.seq, reason: bad.reason } : {}),
          },
        },
      )
      .catch(() => logger.error("could not record audit.verified"));
    if (options.json) {
      write(
        JSON.stringify({
          ok: result.ok,
          checked: result.checked,
          checkpointsVerified: result.checkpointsVerified,
          ...(bad ? { firstBad: bad } : {}),
        }),
      );
    } else if (!bad) {
      write(`audit chain OK: ${result.checked} rows checked, ${result.checkpointsVerified} checkpoints verified`);
    } else if (bad.reason === "bad_checkpoint") {
      write(`audit chain BROKEN: checkpoint ${bad.checkpointId} has an invalid signature (${checkedBefore(result)})`);
    } else {
      const row = bad.id ? ` (row ${bad.id})` : "";
      write(`audit chain BROKEN at shard ${bad.shard} seq ${bad.seq}${row}: ${bad.reason} (${checkedBefore(result)})`);
    }
    return result.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}
