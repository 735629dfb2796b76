/**
 * Starts the real server in-process on an ephemeral port, on a fresh database, with its logs
 * captured (so tests can assert what was, and was not, logged).
 */
import { Writable } from "node:stream";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { startServer, type RunningServer } from "../../src/server/app.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { testSecretsEnv } from "./secrets.js";

export interface TestServer extends RunningServer {
  config: Config;
  logs: string[];
  /** Stops the server and drops its database. */
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, database?: TestDatabase): Promise<TestServer> {
  const db = database ?? (await createTestDatabase());
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    MEMORIC_ADMIN_PORT: "0",
    MEMORIC_DATA_DIR: db.dataDir,
    MEMORIC_DB_HEALTH_INTERVAL_MS: "200",
    MEMORIC_DB_HEALTH_TIMEOUT_MS: "500",
    MEMORIC_SHUTDOWN_GRACE_MS: "3000",
    LOG_LEVEL: "debug",
    // The lowest cost the policy allows: tests exercise the flow, the benchmark measures the cost.
    MEMORIC_BCRYPT_COST: "10",
    ...(await testSecretsEnv()),
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const server = await startServer(config, createLogger(config.logLevel, sink));
  return {
    ...server,
    config,
    logs,
    async close() {
      await server.stop();
      if (!database) await db.drop();
    },
  };
}
