/**
 * A fresh, empty database per test file: a new database on DATABASE_URL's server when it is set
 * (CI: the machine's PostgreSQL), otherwise a new PGlite data directory (embedded mode).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";

export interface TestDatabase {
  /** DATABASE_URL for the server under test; undefined in embedded mode. */
  databaseUrl: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

export const testMode = process.env.DATABASE_URL ? "postgres" : "embedded";

/** A new PGlite data directory: embedded mode whatever DATABASE_URL says. */
export function createEmbeddedDatabase(): TestDatabase {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-test-"));
  return { databaseUrl: undefined, dataDir, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return createEmbeddedDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-test-"));
  const name = `memoric_test_${crypto.randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
