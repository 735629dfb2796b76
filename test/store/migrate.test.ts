/**
 * Spec: migrations apply in order, each once, under an advisory lock — replicas starting together
 * against one database do not race — and a second start applies nothing.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { loadMigrations, migrate } from "../../src/store/migrate.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

const logger = createLogger("silent");
let tdb: TestDatabase;
let a: Database;
let b: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await openDatabase({ databaseUrl: tdb.databaseUrl, dataDir: tdb.dataDir, poolMax: 2, logger });
  // Embedded mode has one PGlite per process: the "second replica" then shares it (and its one connection).
  b = tdb.databaseUrl
    ? await openDatabase({ databaseUrl: tdb.databaseUrl, dataDir: tdb.dataDir, poolMax: 2, logger })
    : a;
});
afterAll(async () => {
  await a.close();
  if (b !== a) await b.close();
  await tdb.drop();
});

it("two replicas migrating at once apply every migration exactly once", async () => {
  const [first, second] = await Promise.all([migrate(a.sql, logger), migrate(b.sql, logger)]);
  const all = loadMigrations().map((m) => m.version);
  expect([...first, ...second].sort()).toEqual(all.sort());
  const rows = await a.sql<{ version: string }[]>`select version from schema_migrations order by version`;
  expect(rows.map((r) => r.version)).toEqual(all);
});

it("a restart applies nothing", async () => {
  expect(await migrate(a.sql, logger)).toEqual([]);
});
