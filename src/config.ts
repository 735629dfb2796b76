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

function float(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, `a number between ${min} and ${max}`, raw);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  if (/^(1|true|on|yes)$/i.test(raw)) return true;
  if (/^(0|false|off|no)$/i.test(raw)) return false;
  throw new ConfigError(name, "on|off", raw);
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === "" ? undefined : raw;
}

/** PEM values often arrive through env files with literal "\n". */
function pem(env: Env, name: string): string | undefined {
  const raw = optional(env, name);
  return raw?.includes("\\n") ? raw.replace(/\\n/g, "\n") : raw;
}

/** A port number (0 = ephemeral), or "off" for none. */
function optionalPort(env: Env, name: string, def: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  if (/^off$/i.test(raw)) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(name, "an integer between 0 and 65535, or off", raw);
  }
  return n;
}

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
  /** Listener for /metrics and /health/detailed, kept off the public port; undefined = disabled ("off"). */
  admin: { port: number | undefined; host: string };
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
    connectTimeoutMs: number;
    /** Longest wait for a database connection before Unavailable (store/admission.ts). */
    acquireTimeoutMs: number;
    /** Transactions one principal may run at once; 0: half the admitted transactions, at least 1. */
    maxConcurrentPerPrincipal: number;
    /** statement_timeout of a call without a deadline (the lower of both otherwise); 0: the server's setting. */
    statementTimeoutMs: number;
  };
  health: {
    /** /health/detailed thresholds. */
    maxHeapRatio: number;
    minFreeDiskBytes: number;
    maxDbLatencyMs: number;
  };
  /** Raw secret material; resolved (and, in embedded dev mode only, generated) by deployment-secrets. */
  secrets: {
    jwtSecret: string | undefined;
    jwtPrivateKeyPem: string | undefined;
    keysetBase64: string | undefined;
    keysetFile: string | undefined;
    auditSigningKey: string | undefined;
  };
  auth: {
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    clockSkewSeconds: number;
    bcryptCost: number;
    passwordMinLength: number;
    /** Upper bound on how long a revocation may take to reach another replica (in-process cache). */
    revocationCacheMs: number;
    bootstrapAdmin: { username: string; email: string; password: string } | undefined;
  };
  abuse: {
    /** Per-principal (authenticated) and per-address (anonymous) RPC budget per window. */
    rpcPerWindow: number;
    anonymousRpcPerWindow: number;
    windowSeconds: number;
    /** Failed logins allowed per account / per address within loginWindowSeconds before a lock. */
    loginFailuresPerAccount: number;
    loginFailuresPerAddress: number;
    loginWindowSeconds: number;
    /** First lock duration; doubles with every further lock. */
    lockoutSeconds: number;
    maxLockoutSeconds: number;
    /** Peers whose X-Forwarded-For is believed (exact addresses). */
    trustedProxies: string[];
  };
  memory: {
    /** "on" encrypts content and metadata; "off" stores plaintext, marked per row. */
    encryption: boolean;
    maxContentBytes: number;
    maxBatchSize: number;
    search: {
      relevanceWeight: number;
      recencyWeight: number;
      importanceWeight: number;
      threadBoost: number;
      topicBoost: number;
      recencyHalfLifeHours: number;
      bm25K1: number;
      bm25B: number;
    };
    policies: {
      intervalSeconds: number;
      midTermAfterDays: number;
      longTermAfterDays: number;
      trimAboveChars: number;
      summaryMinMemories: number;
      /** 0 = keep forever. */
      shortTermRetentionDays: number;
      midTermRetentionDays: number;
      longTermRetentionDays: number;
    };
  };
  audit: {
    enabled: boolean;
    shards: number;
    checkpointIntervalSeconds: number;
    retentionDays: number;
    /** authz.access.granted is noisy: off unless asked for. */
    logGranted: boolean;
  };
}

function bootstrapAdmin(env: Env): Config["auth"]["bootstrapAdmin"] {
  const names = ["MEMORIC_BOOTSTRAP_ADMIN_USERNAME", "MEMORIC_BOOTSTRAP_ADMIN_EMAIL", "MEMORIC_BOOTSTRAP_ADMIN_PASSWORD"] as const;
  const values = names.map((n) => optional(env, n));
  if (values.every((v) => v === undefined)) return undefined;
  const missing = names.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) throw new ConfigError(missing[0]!, "set together with the other MEMORIC_BOOTSTRAP_ADMIN_* variables", "");
  const [username, email, password] = values as [string, string, string];
  return { username, email, password };
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(str(env, "MEMORIC_DATA_DIR", "./data"));
  const port = int(env, "PORT", 8080, 0, 65535);
  const host = str(env, "HOST", "0.0.0.0");
  const adminPort = optionalPort(env, "MEMORIC_ADMIN_PORT", 9090);
  if (adminPort !== undefined && adminPort !== 0 && adminPort === port) {
    throw new ConfigError("MEMORIC_ADMIN_PORT", `a port other than PORT (${port}), or off`, String(adminPort));
  }
  return {
    port,
    host,
    admin: { port: adminPort, host: str(env, "MEMORIC_ADMIN_HOST", host) },
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
      // interval + timeout bound how long readiness (and the fail-fast gate) lag an outage: < 2 s.
      healthIntervalMs: int(env, "MEMORIC_DB_HEALTH_INTERVAL_MS", 500, 50, 600_000),
      healthTimeoutMs: int(env, "MEMORIC_DB_HEALTH_TIMEOUT_MS", 1_000, 50, 60_000),
      connectTimeoutMs: int(env, "MEMORIC_DB_CONNECT_TIMEOUT_MS", 2_000, 100, 60_000),
      acquireTimeoutMs: int(env, "MEMORIC_DB_ACQUIRE_TIMEOUT_MS", 2_000, 1, 600_000),
      maxConcurrentPerPrincipal: int(env, "MEMORIC_DB_MAX_CONCURRENT_PER_PRINCIPAL", 0, 0, 1000),
      statementTimeoutMs: int(env, "MEMORIC_DB_STATEMENT_TIMEOUT_MS", 10_000, 0, 86_400_000),
    },
    secrets: {
      jwtSecret: optional(env, "MEMORIC_JWT_SECRET"),
      jwtPrivateKeyPem: pem(env, "MEMORIC_JWT_PRIVATE_KEY"),
      keysetBase64: optional(env, "MEMORIC_KEYSET"),
      keysetFile: optional(env, "MEMORIC_KEYSET_FILE"),
      auditSigningKey: optional(env, "MEMORIC_AUDIT_SIGNING_KEY"),
    },
    auth: {
      issuer: str(env, "MEMORIC_JWT_ISSUER", "memoric"),
      audience: str(env, "MEMORIC_JWT_AUDIENCE", "memoric-api"),
      accessTtlSeconds: int(env, "MEMORIC_JWT_ACCESS_TTL_SECONDS", 900, 30, 86_400),
      refreshTtlSeconds: int(env, "MEMORIC_JWT_REFRESH_TTL_SECONDS", 30 * 86_400, 60, 365 * 86_400),
      clockSkewSeconds: int(env, "MEMORIC_JWT_CLOCK_SKEW_SECONDS", 30, 0, 300),
      bcryptCost: int(env, "MEMORIC_BCRYPT_COST", 12, 10, 16),
      passwordMinLength: int(env, "MEMORIC_PASSWORD_MIN_LENGTH", 12, 8, 64),
      revocationCacheMs: int(env, "MEMORIC_REVOCATION_CACHE_MS", 1000, 0, 60_000),
      bootstrapAdmin: bootstrapAdmin(env),
    },
    abuse: {
      rpcPerWindow: int(env, "MEMORIC_RATE_LIMIT_RPC", 600, 1, 1_000_000),
      anonymousRpcPerWindow: int(env, "MEMORIC_RATE_LIMIT_ANONYMOUS_RPC", 120, 1, 1_000_000),
      windowSeconds: int(env, "MEMORIC_RATE_LIMIT_WINDOW_SECONDS", 60, 1, 3600),
      loginFailuresPerAccount: int(env, "MEMORIC_LOGIN_MAX_FAILURES", 10, 1, 1000),
      loginFailuresPerAddress: int(env, "MEMORIC_LOGIN_MAX_FAILURES_PER_ADDRESS", 50, 1, 100_000),
      loginWindowSeconds: int(env, "MEMORIC_LOGIN_WINDOW_SECONDS", 900, 1, 86_400),
      lockoutSeconds: int(env, "MEMORIC_LOGIN_LOCKOUT_SECONDS", 60, 1, 86_400),
      maxLockoutSeconds: int(env, "MEMORIC_LOGIN_MAX_LOCKOUT_SECONDS", 3600, 1, 7 * 86_400),
      trustedProxies: list(env, "MEMORIC_TRUSTED_PROXIES"),
    },
    memory: {
      encryption: bool(env, "MEMORIC_ENCRYPTION", true),
      maxContentBytes: int(env, "MEMORIC_MAX_CONTENT_BYTES", 32 * 1024, 16, 1024 * 1024),
      maxBatchSize: int(env, "MEMORIC_MAX_BATCH_SIZE", 100, 1, 10_000),
      search: {
        relevanceWeight: float(env, "MEMORIC_SEARCH_RELEVANCE_WEIGHT", 0.6, 0, 100),
        recencyWeight: float(env, "MEMORIC_SEARCH_RECENCY_WEIGHT", 0.25, 0, 100),
        importanceWeight: float(env, "MEMORIC_SEARCH_IMPORTANCE_WEIGHT", 0.15, 0, 100),
        threadBoost: float(env, "MEMORIC_SEARCH_THREAD_BOOST", 0.1, 0, 100),
        topicBoost: float(env, "MEMORIC_SEARCH_TOPIC_BOOST", 0.05, 0, 100),
        recencyHalfLifeHours: float(env, "MEMORIC_SEARCH_RECENCY_HALF_LIFE_HOURS", 72, 0.01, 1_000_000),
        bm25K1: float(env, "MEMORIC_SEARCH_BM25_K1", 1.2, 0, 10),
        bm25B: float(env, "MEMORIC_SEARCH_BM25_B", 0.75, 0, 1),
      },
      policies: {
        intervalSeconds: int(env, "MEMORIC_POLICY_INTERVAL_SECONDS", 3600, 0, 7 * 86_400),
        midTermAfterDays: int(env, "MEMORIC_POLICY_MID_TERM_AFTER_DAYS", 7, 0, 36_500),
        longTermAfterDays: int(env, "MEMORIC_POLICY_LONG_TERM_AFTER_DAYS", 30, 0, 36_500),
        trimAboveChars: int(env, "MEMORIC_POLICY_TRIM_ABOVE_CHARS", 2000, 50, 1_000_000),
        summaryMinMemories: int(env, "MEMORIC_POLICY_SUMMARY_MIN_MEMORIES", 20, 2, 1_000_000),
        shortTermRetentionDays: int(env, "MEMORIC_RETENTION_SHORT_TERM_DAYS", 0, 0, 36_500),
        midTermRetentionDays: int(env, "MEMORIC_RETENTION_MID_TERM_DAYS", 0, 0, 36_500),
        longTermRetentionDays: int(env, "MEMORIC_RETENTION_LONG_TERM_DAYS", 0, 0, 36_500),
      },
    },
    audit: {
      enabled: bool(env, "MEMORIC_AUDIT", true),
      shards: int(env, "MEMORIC_AUDIT_SHARDS", 16, 1, 1024),
      checkpointIntervalSeconds: int(env, "MEMORIC_AUDIT_CHECKPOINT_INTERVAL_SECONDS", 300, 1, 86_400),
      retentionDays: int(env, "MEMORIC_AUDIT_RETENTION_DAYS", 365, 1, 36_500),
      logGranted: bool(env, "MEMORIC_AUDIT_LOG_GRANTED", false),
    },
    health: {
      maxHeapRatio: 0.95,
      minFreeDiskBytes: int(env, "MEMORIC_HEALTH_MIN_FREE_DISK_MB", 100, 0, 10_000_000) * 1024 * 1024,
      maxDbLatencyMs: int(env, "MEMORIC_HEALTH_MAX_DB_LATENCY_MS", 250, 1, 60_000),
    },
  };
}
