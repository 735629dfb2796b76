/**
 * Applies the SQL files of src/store/migrations in name order, each in its own transaction, under
 * a session advisory lock so that replicas starting together apply each migration exactly once.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../logger.js";
import type { Sql } from "./database.js";

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");
/** Arbitrary constant shared by every replica: the advisory lock's key. */
const MIGRATION_LOCK_KEY = 0x6d656d6f; // "memo"

export interface Migration {
  version: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = fs.readFileSync(path.join(dir, f), "utf8");
      return { version: f.replace(/\.sql$/, ""), sql, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
    });
}

/** Returns the versions applied by this call (empty when the schema was already current). */
export async function migrate(sql: Sql, logger: Logger, migrations = loadMigrations()): Promise<string[]> {
  const conn = await sql.reserve();
  const applied: string[] = [];
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await conn`create table if not exists schema_migrations (
        version text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
      const rows = await conn<{ version: string; checksum: string }[]>`select version, checksum from schema_migrations`;
      const done = new Map(rows.map((r) => [r.version, r.checksum]));
      for (const m of migrations) {
        const seen = done.get(m.version);
        if (seen !== undefined) {
          if (seen !== m.checksum) logger.warn({ version: m.version }, "applied migration differs from its file");
          continue;
        }
        await conn.unsafe("begin");
        try {
          await conn.unsafe(m.sql);
          await conn`insert into schema_migrations (version, checksum) values (${m.version}, ${m.checksum})`;
          await conn.unsafe("commit");
        } catch (err) {
          await conn.unsafe("rollback");
          throw err;
        }
        applied.push(m.version);
        logger.info({ version: m.version }, "migration applied");
      }
    } finally {
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    conn.release();
  }
  return applied;
}
