/**
 * A fresh database for the file's tests, migrated, opened before them and dropped after them
 * (vitest hooks: call at the top of a test file).
 */
import { afterAll, beforeAll } from "vitest";
import { createLogger } from "../../src/logger.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { migrate } from "../../src/store/migrate.js";
import { createTestDatabase, type TestDatabase } from "./database.js";

export interface MigratedDatabase {
  /** Set before the file's first test. */
  db: Database;
}

/** poolMax 1 makes every transaction run on the connection the previous one left. */
export function useMigratedDatabase(poolMax: number): MigratedDatabase {
  const holder = {} as MigratedDatabase;
  let tdb: TestDatabase | undefined;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    const logger = createLogger("silent");
    holder.db = await openDatabase({ databaseUrl: tdb.databaseUrl, dataDir: tdb.dataDir, poolMax, logger });
    await migrate(holder.db.sql, logger);
  });
  afterAll(async () => {
    await holder.db?.close();
    await tdb?.drop();
  });
  return holder;
}
