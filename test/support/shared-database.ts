/**
 * One database that several test servers share, as replicas would. With DATABASE_URL: a fresh
 * Postgres database. Embedded mode: an in-memory PGlite behind a socket server of our own that
 * accepts several connections (its multiplexer keeps each transaction on its connection), reached
 * by every server over DATABASE_URL with a pool of one.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "./database.js";

export interface SharedDatabase {
  database: TestDatabase;
  /** Extra environment each server on it needs. */
  env: Record<string, string>;
}

export async function createSharedDatabase(maxServers = 2): Promise<SharedDatabase> {
  if (process.env.DATABASE_URL) return { database: await createTestDatabase(), env: {} };
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const pglite = await PGlite.create();
  // One connection per server, plus one for asOwner-style test queries.
  const socket = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port: 0, maxConnections: maxServers + 1 });
  await socket.start();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-shared-"));
  return {
    database: {
      databaseUrl: `postgres://postgres@${socket.getServerConn()}/postgres`,
      dataDir,
      async drop() {
        await socket.stop();
        await pglite.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    },
    // PGlite multiplexes every connection onto its one session, so a periodic health probe can
    // collide with another server's statement (`portal "" does not exist`) and close the fail-fast
    // gate as if the database were gone. These tests are about shared state, not readiness: probe
    // once at start-up only. A real PostgreSQL answers each connection on its own session.
    env: { MEMORIC_DB_POOL_MAX: "1", MEMORIC_DB_HEALTH_INTERVAL_MS: "600000" },
  };
}
