/**
 * Test-only hooks for the audit trail, shared with the identity and memory tests:
 * - openAuditTestDb(): a fresh, migrated database (Postgres when DATABASE_URL is set, else PGlite)
 *   and its superuser connection;
 * - forceAuditInsertFailure(sql): as superuser, a BEFORE INSERT trigger on audit_log that raises, so
 *   every audit append fails (the fail-closed switch; no production flag exists for this);
 * - tamper(sql, fn): runs fn as superuser with `SET LOCAL session_replication_role = replica`,
 *   which skips ordinary triggers, i.e. the append-only trigger of 0003_audit.sql. That is exactly
 *   what a malicious DBA could do, and what the hash chain must then detect.
 */
import type postgres from "postgres";
import { createLogger } from "../../src/logger.js";
import { openDatabase, type Database, type Sql } from "../../src/store/database.js";
import { migrate } from "../../src/store/migrate.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

export interface AuditTestDb {
  db: Database;
  /** Superuser (the migrations' owner): outside inTx it bypasses RLS and owns every table. */
  sql: Sql;
  close(): Promise<void>;
}

export async function openAuditTestDb(poolMax = 10): Promise<AuditTestDb> {
  const t: TestDatabase = await createTestDatabase();
  const logger = createLogger("silent");
  const db = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir, poolMax, logger });
  await migrate(db.sql, logger);
  return {
    db,
    sql: db.sql,
    close: async () => {
      await db.close();
      await t.drop();
    },
  };
}

/** Makes every audit insert fail until allowAuditInserts() (or the returned function) runs. */
export async function forceAuditInsertFailure(sql: Sql): Promise<() => Promise<void>> {
  await sql.unsafe(`
    create or replace function audit_test_fail() returns trigger language plpgsql as $$
    begin raise exception 'audit insert forced to fail (test hook)'; end $$;
    create trigger audit_test_fail before insert on audit_log for each row execute function audit_test_fail();`);
  return () => allowAuditInserts(sql);
}

/** Undoes forceAuditInsertFailure (safe to call from another superuser connection, or twice). */
export async function allowAuditInserts(sql: Sql): Promise<void> {
  await sql.unsafe(`drop trigger if exists audit_test_fail on audit_log; drop function if exists audit_test_fail();`);
}

/**
 * Runs fn as superuser with the append-only triggers bypassed (session_replication_role = replica,
 * transaction-local).
 */
export async function tamper(sql: Sql, fn: (tx: postgres.TransactionSql) => Promise<unknown>): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await fn(tx);
  });
}
