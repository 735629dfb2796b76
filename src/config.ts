/**
 * The one typed view of the environment. Every setting has exactly one entry here: its variable
 * name, its parser and its default. A bad value stops start-up with a message naming the variable
 * and the expected form (ConfigError).
 */
import path from "node:path";

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    got: string,
  ) {
    super(`${variable}: expected ${expected}, got ${JSON.stringify(got.length > 80 ? got.slice(0, 80) + "…" : got)}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `an integer between ${min} and ${max}`, raw);
  }
  return n;
}

function str(env: Env, name: string, def: string): string {
  const raw = env[name];
  return raw === undefined || raw === "" ? def : raw;
}

function list(env: Env, name: string): string[] {
  return str(env, name, "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function origins(env: Env, name: string): string[] {
  const values = list(env, name);
  for (const v of values) {
    if (v === "*") continue;
    let ok = false;
    try {
      const u = new URL(v);
      ok = (u.protocol === "http:" || u.protocol === "https:") && u.origin === v;
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(name, "a comma-separated list of origins like https://app.example.com", v);
  }
  return values;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function logLevel(env: Env, name: string): LogLevel {
  const v = str(env, name, "info");
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new ConfigError(name, LOG_LEVELS.join("|"), v);
  return v as LogLevel;
}

function databaseUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol === "postgres:" || u.protocol === "postgresql:") return raw;
  } catch {
    // fall through to the error below, without echoing a URL that may hold a password
  }
  throw new ConfigError(name, "a postgres://user:password@host:port/database URL", "<redacted>");
}

export interface Config {
  /** Port of the single listener serving every protocol. */
  port: number;
  host: string;
  /** Set: production mode on that server. Unset: embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  corsOrigins: string[];
  logLevel: LogLevel;
  limits: {
    maxMessageBytes: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    maxConcurrentStreams: number;
    shutdownGraceMs: number;
  };
  db: {
    poolMax: number;
    healthIntervalMs: number;
    healthTimeoutMs: number;
  };
  health: {
    /** /health/detailed thresholds. */
    maxHeapRatio: number;
    minFreeDiskBytes: number;
    maxDbLatencyMs: number;
  };
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(str(env, "MEMORIC_DATA_DIR", "./data"));
  return {
    port: int(env, "PORT", 8080, 0, 65535),
    host: str(env, "HOST", "0.0.0.0"),
    databaseUrl: databaseUrl(env, "DATABASE_URL"),
    dataDir,
    corsOrigins: origins(env, "MEMORIC_CORS_ORIGINS"),
    logLevel: logLevel(env, "LOG_LEVEL"),
    limits: {
      maxMessageBytes: int(env, "MEMORIC_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      headersTimeoutMs: int(env, "MEMORIC_HEADERS_TIMEOUT_MS", 10_000, 100, 600_000),
      requestTimeoutMs: int(env, "MEMORIC_REQUEST_TIMEOUT_MS", 60_000, 100, 3_600_000),
      maxConcurrentStreams: int(env, "MEMORIC_MAX_CONCURRENT_STREAMS", 256, 1, 65_535),
      shutdownGraceMs: int(env, "MEMORIC_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    },
    db: {
      poolMax: int(env, "MEMORIC_DB_POOL_MAX", 10, 1, 1000),
      healthIntervalMs: int(env, "MEMORIC_DB_HEALTH_INTERVAL_MS", 2_000, 50, 600_000),
      healthTimeoutMs: int(env, "MEMORIC_DB_HEALTH_TIMEOUT_MS", 1_000, 50, 60_000),
    },
    health: {
      maxHeapRatio: 0.95,
      minFreeDiskBytes: int(env, "MEMORIC_HEALTH_MIN_FREE_DISK_MB", 100, 0, 10_000_000) * 1024 * 1024,
      maxDbLatencyMs: int(env, "MEMORIC_HEALTH_MAX_DB_LATENCY_MS", 250, 1, 60_000),
    },
  };
}
