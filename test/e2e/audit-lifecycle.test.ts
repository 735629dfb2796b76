/**
 * Spec: the audit jobs over a server's life — system.startup, periodic signed checkpoints even when
 * nothing happens, system.shutdown sealed by a final checkpoint — and `memoric audit verify`
 * (auditVerifyCommand) on the stopped server's database, before and after tampering.
 */
import { afterAll, expect, it } from "vitest";
import { auditVerifyCommand } from "../../src/cli/audit.js";
import { createLogger } from "../../src/logger.js";
import { openDatabase } from "../../src/store/database.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { startTestServer } from "../support/server.js";
import { tamper } from "../store/audit-hooks.js";
import type { Config } from "../../src/config.js";

let db: TestDatabase | undefined;
afterAll(async () => db?.drop());

const logger = createLogger("silent");
async function asOwner<T>(
  config: Config,
  fn: (sql: import("../../src/store/database.js").Sql) => Promise<T>,
): Promise<T> {
  const d = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 1, logger });
  try {
    return await fn(d.sql);
  } finally {
    await d.close();
  }
}
async function verifyCli(config: Config, json = false) {
  const lines: string[] = [];
  const code = await auditVerifyCommand({ config, logger, json, write: (l) => lines.push(l) });
  return { code, lines };
}

// Generous timeout: in embedded mode every step below opens the PGlite data directory afresh.
it("startup, idle checkpoints, shutdown, and `memoric audit verify`", { timeout: 180_000 }, async () => {
  db = await createTestDatabase();
  const server = await startTestServer({ MEMORIC_AUDIT_CHECKPOINT_INTERVAL_SECONDS: "1" }, db);
  await new Promise((r) => setTimeout(r, 2600)); // idle: no RPC at all
  await server.close(); // stops the server, keeps the database
  const config = server.config;

  const ok = await verifyCli(config);
  expect(ok.code).toBe(0);
  expect(ok.lines[0]).toMatch(/^audit chain OK: 2 rows checked, \d+ checkpoints verified$/);

  const facts = await asOwner(config, async (sql) => {
    const events = await sql<
      { event_type: string; shard: number; seq: string }[]
    >`select event_type, shard, seq from audit_log order by time`;
    const checkpoints = await sql<
      { heads: { shard: number; seq: number }[] }[]
    >`select heads from audit_checkpoints order by id`;
    await tamper(sql, (tx) => tx`update audit_log set details = '{}' where event_type = 'system.shutdown'`);
    return { events, checkpoints };
  });
  // The CLI run above recorded audit.verified after the server's own two events.
  expect(facts.events.map((e) => e.event_type)).toEqual(["system.startup", "system.shutdown", "audit.verified"]);
  // ≥ 2 periodic ones while idle, plus the final one at shutdown.
  expect(facts.checkpoints.length).toBeGreaterThanOrEqual(3);
  const shutdown = facts.events[1]!;
  expect(facts.checkpoints.at(-1)!.heads).toContainEqual(
    expect.objectContaining({ shard: shutdown.shard, seq: Number(shutdown.seq) }),
  );

  const broken = await verifyCli(config);
  expect(broken.code).toBe(1);
  expect(broken.lines[0]).toContain(`BROKEN at shard ${shutdown.shard} seq ${shutdown.seq}`);
  expect(broken.lines[0]).toContain("modified");
  const json = await verifyCli(config, true);
  expect(JSON.parse(json.lines[0]!)).toMatchObject({
    ok: false,
    firstBad: { shard: shutdown.shard, seq: Number(shutdown.seq), reason: "modified" },
  });

  // Each CLI run is itself on the record.
  const verified = await asOwner(
    config,
    (sql) =>
      sql<{ severity: string }[]>`select severity from audit_log where event_type = 'audit.verified' order by time`,
  );
  expect(verified.map((v) => v.severity)).toEqual(["info", "critical", "critical"]);
});
