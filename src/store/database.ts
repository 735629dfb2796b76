/**
 * The one way the service reaches its database, in both modes:
 * - production: postgres.js on DATABASE_URL;
 * - embedded (no DATABASE_URL): PGlite persisted in the data directory, served on loopback by
 *   pglite-socket, reached by the same postgres.js driver with a pool of exactly one connection
 *   (PGlite has a single session; more connections would interleave transactions).
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import type { Logger } from "../logger.js";
import { lockDataDir } from "./data-dir-lock.js";
import { Admission, attachLimits } from "./admission.js";
import { overlay } from "../domain/objects.js";

export type Sql = postgres.Sql;
export type DatabaseMode = "postgres" | "embedded";

export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

export interface Database {
  readonly sql: Sql;
  readonly mode: DatabaseMode;
  /** Pool size the driver may open. */
  readonly poolMax: number;
  /** Admission in front of the pool; absent when opened without limits (tests, tools). */
  readonly admission: Admission | undefined;
  /** Runs `select 1`; resolves with the latency in ms or rejects after timeoutMs. */
  ping(timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolMax: number;
  /** How long a new connection may take (TCP + startup); default 2 s. */
  connectTimeoutMs?: number;
  logger: Logger;
  /** Admission and the default statement timeout (config.db); without them the pool is unguarded. */
  limits?: { acquireTimeoutMs: number; maxConcurrentPerPrincipal: number; statementTimeoutMs: number };
}

/** Driver options shared by both modes. */
function driverOptions(max: number, logger: Logger, connectTimeoutMs = 2_000): postgres.Options<Record<string, never>> {
  return {
    max,
    // Fail fast when the server is unreachable so health flips quickly and calls get Unavailable.
    connect_timeout: connectTimeoutMs / 1000,
    // Reconnect attempts after failures wait at most 0.5 s (the driver's default grows to 20 s), so
    // the pool is back within the readiness bound once the database is; the monitor's fail-fast
    // gate keeps calls from hammering a database that is down.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5) * (0.5 + Math.random() / 2),
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    onnotice: (notice) => logger.debug({ notice: notice.message }, "postgres notice"),
    connection: { application_name: "memoric" },
  };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl !== undefined) {
    const sql = postgres(options.databaseUrl, driverOptions(options.poolMax, options.logger, options.connectTimeoutMs));
    return wrap(sql, "postgres", options.poolMax, options.limits, async () => sql.end({ timeout: 5 }));
  }
  return openEmbedded(options);
}

async function openEmbedded(options: DatabaseOptions): Promise<Database> {
  // Loaded lazily: production never pays for the WASM module.
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const dir = path.join(options.dataDir, "pgdata");
  // Before PGlite touches the files: a second process on one directory silently loses writes.
  const lock = lockDataDir(options.dataDir);
  let db: InstanceType<typeof PGlite> | undefined;
  let server: InstanceType<typeof PGLiteSocketServer>;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    db = await PGlite.create(dir);
    server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
    await server.start();
  } catch (err) {
    await db?.close().catch(() => {});
    lock.release();
    throw err;
  }
  const [host, port] = server.getServerConn().split(":");
  const sql = postgres(
    overlay(driverOptions(1, options.logger, options.connectTimeoutMs), {
      host,
      port: Number(port),
      database: "postgres",
      username: "postgres",
    }),
  );
  options.logger.info({ dataDir: dir }, "embedded database (PGlite) ready");
  const pglite = db;
  return wrap(sql, "embedded", 1, options.limits, async () => {
    try {
      await sql.end({ timeout: 5 });
      await server.stop();
      await pglite.close();
    } finally {
      lock.release();
    }
  });
}

function wrap(
  sql: Sql,
  mode: DatabaseMode,
  poolMax: number,
  limits: DatabaseOptions["limits"],
  close: () => Promise<void>,
): Database {
  let closed = false;
  let admission: Admission | undefined;
  if (limits) {
    // One connection stays outside admission for single autocommit statements, the health ping
    // first (see admission.ts); a one-connection pool (embedded) cannot spare it.
    const capacity = poolMax > 1 ? poolMax - 1 : 1;
    // Default: under half the slots, so even two stuck accounts leave room for everyone else.
    const perKeyLimit = limits.maxConcurrentPerPrincipal || Math.max(1, Math.floor(capacity / 2));
    admission = new Admission({ capacity, perKeyLimit, acquireTimeoutMs: limits.acquireTimeoutMs });
    attachLimits(sql, { admission, statementTimeoutMs: limits.statementTimeoutMs });
  }
  return {
    sql,
    mode,
    poolMax,
    admission,
    async ping(timeoutMs) {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      let answered = false;
      const query = sql`select 1`.then(() => {
        answered = true;
      });
      try {
        await Promise.race([
          query,
          new Promise((_, reject) => {
            // No query.cancel(): it opens a second connection, which PGlite's single slot never frees.
            // The `select 1` finishes or fails with its connection; the monitor never stacks probes.
            timer = setTimeout(() => {
              // Timers run before socket reads in a loop turn: after the event loop was busy (a batch
              // of 1,000 being sealed), the answer may be waiting unread. One more turn reads it, so
              // a busy process is not taken for an unreachable database.
              setImmediate(() => {
                if (!answered) reject(new DatabaseUnavailableError(`database did not answer within ${timeoutMs} ms`));
              });
            }, timeoutMs);
          }),
        ]);
      } catch (err) {
        if (err instanceof DatabaseUnavailableError) throw err;
        throw new DatabaseUnavailableError("database unreachable", { cause: err });
      } finally {
        clearTimeout(timer);
      }
      return performance.now() - started;
    },
    async close() {
      if (closed) return;
      closed = true;
      await close();
    },
  };
}
