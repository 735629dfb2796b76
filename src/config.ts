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

/**
 * One setting as a reader sees it; README's table is rendered from these (scripts/config-docs.ts),
 * so the name, default and expected form cannot drift from the parser that enforces them.
 */
export interface SettingDoc {
  variable: string;
  /** As shown to a reader; a secret's is a placeholder, never a value. */
  default: string;
  /** The expected form, in the words a ConfigError uses. */
  expected: string;
  /** One line: what the setting does. Mandatory. */
  description: string;
  secret: boolean;
}

/** The environment, plus a recorder when describeConfig() asks every helper what it reads. */
interface Source {
  vars: Env;
  declare?: (doc: SettingDoc) => void;
}

/** Declares the setting, then returns its raw value; empty counts as unset. */
function read(env: Source, doc: SettingDoc): string | undefined {
  env.declare?.(doc);
  const raw = env.vars[doc.variable];
  return raw === undefined || raw === "" ? undefined : raw;
}

const setting = (variable: string, def: string, expected: string, description: string, secret = false): SettingDoc => ({
  variable,
  default: def,
  expected,
  description,
  secret,
});

/** Secrets: production refuses to start without them; embedded development generates its own. */
const REQUIRED_IN_PRODUCTION = "(required in production)";

function int(env: Source, name: string, def: number, min: number, max: number, doc: string): number {
  const expected = `an integer between ${min} and ${max}`;
  const raw = read(env, setting(name, String(def), expected, doc));
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, expected, raw);
  }
  return n;
}

/** shownDefault: for a default that is not a constant (e.g. another variable's value). */
function str(env: Source, name: string, def: string, expected: string, doc: string, shownDefault = def): string {
  return read(env, setting(name, shownDefault, expected, doc)) ?? def;
}

function list(env: Source, name: string, expected: string, doc: string): string[] {
  return (read(env, setting(name, "(empty)", expected, doc)) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function origins(env: Source, name: string, doc: string): string[] {
  const expected = "a comma-separated list of origins like https://app.example.com";
  const values = list(env, name, `${expected}, or *`, doc);
  for (const v of values) {
    if (v === "*") continue;
    let ok = false;
    try {
      const u = new URL(v);
      ok = (u.protocol === "http:" || u.protocol === "https:") && u.origin === v;
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(name, expected, v);
  }
  return values;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function float(env: Source, name: string, def: number, min: number, max: number, doc: string): number {
  const expected = `a number between ${min} and ${max}`;
  const raw = read(env, setting(name, String(def), expected, doc));
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, expected, raw);
  return n;
}

function bool(env: Source, name: string, def: boolean, doc: string): boolean {
  const raw = read(env, setting(name, def ? "on" : "off", "on|off", doc));
  if (raw === undefined) return def;
  if (/^(1|true|on|yes)$/i.test(raw)) return true;
  if (/^(0|false|off|no)$/i.test(raw)) return false;
  throw new ConfigError(name, "on|off", raw);
}

function optional(env: Source, name: string, expected: string, doc: string): string | undefined {
  return read(env, setting(name, "(unset)", expected, doc));
}

/** Never shows a value: the default column says what happens without it. */
function secret(
  env: Source,
  name: string,
  expected: string,
  doc: string,
  whenUnset = REQUIRED_IN_PRODUCTION,
): string | undefined {
  return read(env, setting(name, whenUnset, expected, doc, true));
}

/** PEM values often arrive through env files with literal "\n". */
function pem(env: Source, name: string, doc: string, whenUnset: string): string | undefined {
  const raw = secret(env, name, "a PEM block (literal \\n allowed)", doc, whenUnset);
  return raw?.includes("\\n") ? raw.replace(/\\n/g, "\n") : raw;
}

/** A port number (0 = ephemeral), or "off" for none. */
function optionalPort(env: Source, name: string, def: number, doc: string): number | undefined {
  const expected = "an integer between 0 and 65535, or off";
  const raw = read(env, setting(name, String(def), expected, doc));
  if (raw === undefined) return def;
  if (/^off$/i.test(raw)) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(name, expected, raw);
  }
  return n;
}

function logLevel(env: Source, name: string, doc: string): LogLevel {
  const v = read(env, setting(name, "info", LOG_LEVELS.join("|"), doc)) ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new ConfigError(name, LOG_LEVELS.join("|"), v);
  return v as LogLevel;
}

function databaseUrl(env: Source, name: string, doc: string): string | undefined {
  const expected = "a postgres://user:password@host:port/database URL";
  const raw = read(env, setting(name, "(unset: embedded PGlite)", expected, doc, true));
  if (raw === undefined) return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol === "postgres:" || u.protocol === "postgresql:") return raw;
  } catch {
    // fall through to the error below, without echoing a URL that may hold a password
  }
  throw new ConfigError(name, expected, "<redacted>");
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
  /** Print the listening address and a first call to try at start-up (always on a terminal). */
  printBanner: boolean;
  /** Serve the browser console at /console/ on the public port. */
  console: boolean;
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
    /** Per end user, for delegated tokens; the account's budget still applies. */
    endUserRpcPerWindow: number;
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
    /** A write naming an unknown end user creates it (else NotFound). */
    endUsersAutoCreate: boolean;
    search: {
      relevanceWeight: number;
      recencyWeight: number;
      importanceWeight: number;
      threadBoost: number;
      topicBoost: number;
      recencyHalfLifeHours: number;
      bm25K1: number;
      bm25B: number;
      /** Share of dense (embedding) similarity in a hybrid search's relevance; the rest is lexical. */
      denseWeight: number;
    };
    /** Optional semantic search (DESIGN.md §6 "Vectors"); url undefined: no provider. */
    embeddings: EmbeddingsConfig;
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
    /** Outcome rows of reads and failures are group-committed (store/audit-batch.ts). */
    batchBoundMs: number;
    batchMaxQueued: number;
  };
}

export interface EmbeddingsConfig {
  /** The OpenAI-compatible embeddings endpoint (…/v1/embeddings); undefined: no provider. */
  url: string | undefined;
  model: string;
  /** Vector length; 0 = vectors off (neither a provider nor client vectors). */
  dimensions: number;
  apiKey: string | undefined;
  /** Per HTTP request of the backfill job, and for a search's query (short: a search waits for it). */
  timeoutMs: number;
  queryTimeoutMs: number;
  batchSize: number;
  /** Backfill attempts per memory before its vector is marked failed. */
  maxAttempts: number;
  /** How often each replica looks for memories waiting for an embedding. */
  pollMs: number;
  /** Decrypted vector indexes kept per process (LRU by bytes). */
  cacheBytes: number;
  /** Ask the provider for `dimensions`-long vectors (models that can shorten theirs, e.g. text-embedding-3). */
  sendDimensions: boolean;
}

/** The embeddings endpoint: a base (…/v1) or the full …/embeddings URL. */
function embeddingsUrl(env: Source, name: string, doc: string): string | undefined {
  const expected = "an http(s) URL";
  const raw = optional(env, name, expected, doc);
  if (raw === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, expected, raw);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError(name, expected, raw);
  const p = u.pathname.replace(/\/+$/, "");
  if (!p.endsWith("/embeddings")) u.pathname = `${p.endsWith("/v1") ? p : `${p}/v1`}/embeddings`;
  return u.toString();
}

function embeddings(env: Source): EmbeddingsConfig {
  const url = embeddingsUrl(
    env,
    "MEMORIC_EMBEDDINGS_URL",
    "OpenAI-compatible embeddings endpoint (…/v1 or …/v1/embeddings); it sees memory content in clear. Unset: none.",
  );
  const model = str(
    env,
    "MEMORIC_EMBEDDINGS_MODEL",
    "",
    "a model name",
    "Embedding model (required with the URL).",
    "(unset)",
  );
  const dimensions = int(
    env,
    "MEMORIC_EMBEDDINGS_DIMENSIONS",
    0,
    0,
    8192,
    "Vector length (required with the URL; also enables client-sent vectors); 0: vectors off.",
  );
  const apiKey = secret(env, "MEMORIC_EMBEDDINGS_API_KEY", "a string", "Bearer token for the provider.", "(unset)");
  if (url !== undefined && model === "") throw new ConfigError("MEMORIC_EMBEDDINGS_MODEL", "a model name", "");
  if (url !== undefined && dimensions === 0) throw new ConfigError("MEMORIC_EMBEDDINGS_DIMENSIONS", "1-8192", "0");
  return {
    url,
    model,
    dimensions,
    apiKey,
    timeoutMs: int(env, "MEMORIC_EMBEDDINGS_TIMEOUT_MS", 10_000, 100, 600_000, "Timeout of a backfill request."),
    queryTimeoutMs: int(
      env,
      "MEMORIC_EMBEDDINGS_QUERY_TIMEOUT_MS",
      2_000,
      50,
      60_000,
      "Timeout for embedding a search query; past it the search is lexical only.",
    ),
    batchSize: int(env, "MEMORIC_EMBEDDINGS_BATCH_SIZE", 64, 1, 2048, "Most texts in one embeddings request."),
    maxAttempts: int(env, "MEMORIC_EMBEDDINGS_MAX_ATTEMPTS", 8, 1, 100, "Backfill attempts before a vector fails."),
    pollMs: int(env, "MEMORIC_EMBEDDINGS_POLL_MS", 1_000, 10, 3_600_000, "How often the backfill job looks for work."),
    cacheBytes:
      MIB *
      int(env, "MEMORIC_VECTOR_CACHE_MB", 64, 0, 1_000_000, "Decrypted vector indexes kept in memory per process."),
    sendDimensions: bool(
      env,
      "MEMORIC_EMBEDDINGS_SEND_DIMENSIONS",
      false,
      "Send `dimensions` in each request, for models that shorten their vectors (OpenAI text-embedding-3); " +
        "off: the model's own length must equal MEMORIC_EMBEDDINGS_DIMENSIONS (some providers reject the field).",
    ),
  };
}

function bootstrapAdmin(env: Source): Config["auth"]["bootstrapAdmin"] {
  const together = "set together with the other MEMORIC_BOOTSTRAP_ADMIN_* variables";
  const names = [
    "MEMORIC_BOOTSTRAP_ADMIN_USERNAME",
    "MEMORIC_BOOTSTRAP_ADMIN_EMAIL",
    "MEMORIC_BOOTSTRAP_ADMIN_PASSWORD",
  ] as const;
  const values = [
    optional(
      env,
      names[0],
      "a username",
      "Username of a first admin, created at start-up if absent; set all three MEMORIC_BOOTSTRAP_ADMIN_* or none.",
    ),
    optional(env, names[1], "an email address", "Email of that first admin."),
    secret(env, names[2], "a password the password policy accepts", "Password of that first admin.", "(unset)"),
  ];
  if (values.every((v) => v === undefined)) return undefined;
  const missing = names.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) throw new ConfigError(missing[0]!, together, "");
  const [username, email, password] = values as [string, string, string];
  return { username, email, password };
}

export function loadConfig(env: Env = process.env): Config {
  return readConfig({ vars: env });
}

/**
 * Every setting README documents, in the order loadConfig reads them. Runs the loader on an empty
 * environment with a recorder, so every setting must be read unconditionally; a variable read
 * without its helper (or twice, or without a description) is an error here, which fails the docs
 * check in CI.
 */
export function describeConfig(): SettingDoc[] {
  const docs: SettingDoc[] = [];
  const touched = new Set<string>();
  const vars = new Proxy<Env>(
    {},
    {
      get(_target, name) {
        if (typeof name === "string") touched.add(name);
        return undefined;
      },
    },
  );
  readConfig({ vars, declare: (doc) => docs.push(doc) });
  const declared = new Set<string>();
  for (const d of docs) {
    if (declared.has(d.variable)) throw new Error(`${d.variable} is declared twice in src/config.ts`);
    declared.add(d.variable);
    if (d.description.trim() === "" || /[\r\n]/.test(d.description)) {
      throw new Error(`${d.variable} needs a one-line description in src/config.ts`);
    }
  }
  const undeclared = [...touched].filter((name) => !declared.has(name));
  if (undeclared.length > 0) {
    throw new Error(`read without a documented helper in src/config.ts: ${undeclared.join(", ")}`);
  }
  return docs;
}

const MIB = 1024 * 1024;

function readConfig(env: Source): Config {
  const dataDir = path.resolve(
    str(
      env,
      "MEMORIC_DATA_DIR",
      "./data",
      "a directory path",
      "Embedded database and its generated development secrets.",
    ),
  );
  const port = int(
    env,
    "PORT",
    8080,
    0,
    65535,
    "The public port: every RPC protocol and the HTTP probes (0 = any free port).",
  );
  const host = str(env, "HOST", "0.0.0.0", "an address to bind", "Address the public port listens on.");
  const adminPort = optionalPort(
    env,
    "MEMORIC_ADMIN_PORT",
    9090,
    "Admin listener (/metrics, /health/detailed), for the cluster only: 0 = any free port, off = none.",
  );
  if (adminPort !== undefined && adminPort !== 0 && adminPort === port) {
    throw new ConfigError("MEMORIC_ADMIN_PORT", `a port other than PORT (${port}), or off`, String(adminPort));
  }
  return {
    port,
    host,
    admin: {
      port: adminPort,
      host: str(
        env,
        "MEMORIC_ADMIN_HOST",
        host,
        "an address to bind",
        "Address the admin listener listens on.",
        "(value of HOST)",
      ),
    },
    databaseUrl: databaseUrl(env, "DATABASE_URL", "PostgreSQL server; set, the service runs in production mode."),
    dataDir,
    corsOrigins: origins(
      env,
      "MEMORIC_CORS_ORIGINS",
      "Browser origins allowed to call (Connect-Web, gRPC-Web); empty allows no cross-origin call.",
    ),
    logLevel: logLevel(env, "LOG_LEVEL", "Least severe log level written."),
    printBanner: bool(
      env,
      "MEMORIC_PRINT_BANNER",
      true,
      "At start-up, print where the server listens and a first call to try (always on a terminal).",
    ),
    console: bool(env, "MEMORIC_CONSOLE", true, "Serve the browser console at /console/ on the public port."),
    limits: {
      maxMessageBytes: int(
        env,
        "MEMORIC_MAX_MESSAGE_BYTES",
        4 * 1024 * 1024,
        1024,
        256 * 1024 * 1024,
        "Largest request message; a larger one is refused with ResourceExhausted.",
      ),
      headersTimeoutMs: int(
        env,
        "MEMORIC_HEADERS_TIMEOUT_MS",
        10_000,
        100,
        600_000,
        "Time a new connection has to send its protocol preface or request headers.",
      ),
      requestTimeoutMs: int(
        env,
        "MEMORIC_REQUEST_TIMEOUT_MS",
        60_000,
        100,
        3_600_000,
        "Time an HTTP/1.1 request has to arrive in full.",
      ),
      maxConcurrentStreams: int(
        env,
        "MEMORIC_MAX_CONCURRENT_STREAMS",
        256,
        1,
        65_535,
        "Concurrent calls (HTTP/2 streams) per connection.",
      ),
      shutdownGraceMs: int(
        env,
        "MEMORIC_SHUTDOWN_GRACE_MS",
        10_000,
        0,
        600_000,
        "On SIGTERM/SIGINT, how long in-flight calls may take to finish.",
      ),
    },
    db: {
      poolMax: int(env, "MEMORIC_DB_POOL_MAX", 10, 1, 1000, "PostgreSQL connections per process."),
      // interval + timeout bound how long readiness (and the fail-fast gate) lag an outage: < 2 s.
      healthIntervalMs: int(
        env,
        "MEMORIC_DB_HEALTH_INTERVAL_MS",
        500,
        50,
        600_000,
        "How often a `select 1` probe checks the database; readiness and fail-fast Unavailable follow it.",
      ),
      healthTimeoutMs: int(
        env,
        "MEMORIC_DB_HEALTH_TIMEOUT_MS",
        1_000,
        50,
        60_000,
        "A probe slower than this counts as failed.",
      ),
      connectTimeoutMs: int(
        env,
        "MEMORIC_DB_CONNECT_TIMEOUT_MS",
        2_000,
        100,
        60_000,
        "A new database connection gives up after this long.",
      ),
      acquireTimeoutMs: int(
        env,
        "MEMORIC_DB_ACQUIRE_TIMEOUT_MS",
        2_000,
        1,
        600_000,
        "Longest wait for a transaction slot (or the call's deadline, if sooner); past it, Unavailable.",
      ),
      maxConcurrentPerPrincipal: int(
        env,
        "MEMORIC_DB_MAX_CONCURRENT_PER_PRINCIPAL",
        0,
        0,
        1000,
        "Transactions one account may run at once (0: half the slots, at least 1); past it, ResourceExhausted.",
      ),
      statementTimeoutMs: int(
        env,
        "MEMORIC_DB_STATEMENT_TIMEOUT_MS",
        10_000,
        0,
        86_400_000,
        "statement_timeout of a call without a deadline (the lower of both otherwise); 0 keeps the server's.",
      ),
    },
    secrets: {
      jwtSecret: secret(
        env,
        "MEMORIC_JWT_SECRET",
        "at least 32 random bytes; base64:… accepted",
        "HS256 key signing tokens, e.g. base64:$(openssl rand -base64 48); or set MEMORIC_JWT_PRIVATE_KEY.",
      ),
      jwtPrivateKeyPem: pem(
        env,
        "MEMORIC_JWT_PRIVATE_KEY",
        "PKCS#8 Ed25519/P-256 key signing tokens instead; /.well-known/jwks.json publishes its public key.",
        "(unset: MEMORIC_JWT_SECRET signs)",
      ),
      keysetBase64: secret(
        env,
        "MEMORIC_KEYSET",
        "base64 of a Tink AES-256-GCM keyset",
        "Master keyset wrapping every user's data key (`memoric keys generate`); or MEMORIC_KEYSET_FILE.",
      ),
      keysetFile: optional(
        env,
        "MEMORIC_KEYSET_FILE",
        "a file path",
        "File holding the base64 keyset, read when MEMORIC_KEYSET is unset.",
      ),
      auditSigningKey: secret(
        env,
        "MEMORIC_AUDIT_SIGNING_KEY",
        "at least 32 random bytes; base64:… accepted",
        "Signs audit checkpoints; never stored in the database.",
      ),
    },
    auth: {
      issuer: str(
        env,
        "MEMORIC_JWT_ISSUER",
        "memoric",
        "a string",
        "Issuer (iss) of the tokens this service signs and accepts.",
      ),
      audience: str(
        env,
        "MEMORIC_JWT_AUDIENCE",
        "memoric-api",
        "a string",
        "Audience (aud) of the tokens this service signs and accepts.",
      ),
      accessTtlSeconds: int(env, "MEMORIC_JWT_ACCESS_TTL_SECONDS", 900, 30, 86_400, "Access token lifetime."),
      refreshTtlSeconds: int(
        env,
        "MEMORIC_JWT_REFRESH_TTL_SECONDS",
        30 * 86_400,
        60,
        365 * 86_400,
        "Refresh token lifetime.",
      ),
      clockSkewSeconds: int(
        env,
        "MEMORIC_JWT_CLOCK_SKEW_SECONDS",
        30,
        0,
        300,
        "Clock difference tolerated on token times.",
      ),
      bcryptCost: int(env, "MEMORIC_BCRYPT_COST", 12, 10, 16, "bcrypt cost of new password hashes."),
      passwordMinLength: int(env, "MEMORIC_PASSWORD_MIN_LENGTH", 12, 8, 64, "Shortest password accepted."),
      revocationCacheMs: int(
        env,
        "MEMORIC_REVOCATION_CACHE_MS",
        1000,
        0,
        60_000,
        "Longest a revocation takes to reach another replica (in-process cache; 0 = none).",
      ),
      bootstrapAdmin: bootstrapAdmin(env),
    },
    abuse: {
      rpcPerWindow: int(
        env,
        "MEMORIC_RATE_LIMIT_RPC",
        600,
        1,
        1_000_000,
        "Calls per window per authenticated principal.",
      ),
      endUserRpcPerWindow: int(
        env,
        "MEMORIC_RATE_LIMIT_END_USER_RPC",
        300,
        1,
        1_000_000,
        "Calls per window per end user with a delegated token (counted on top of the account's budget).",
      ),
      anonymousRpcPerWindow: int(
        env,
        "MEMORIC_RATE_LIMIT_ANONYMOUS_RPC",
        120,
        1,
        1_000_000,
        "Calls per window per client address, without credentials.",
      ),
      windowSeconds: int(env, "MEMORIC_RATE_LIMIT_WINDOW_SECONDS", 60, 1, 3600, "Rate-limit window."),
      loginFailuresPerAccount: int(
        env,
        "MEMORIC_LOGIN_MAX_FAILURES",
        10,
        1,
        1000,
        "Failed logins per account within the login window before the account is locked.",
      ),
      loginFailuresPerAddress: int(
        env,
        "MEMORIC_LOGIN_MAX_FAILURES_PER_ADDRESS",
        50,
        1,
        100_000,
        "Failed logins per client address within the login window before the address is locked.",
      ),
      loginWindowSeconds: int(
        env,
        "MEMORIC_LOGIN_WINDOW_SECONDS",
        900,
        1,
        86_400,
        "Window in which failed logins count.",
      ),
      lockoutSeconds: int(
        env,
        "MEMORIC_LOGIN_LOCKOUT_SECONDS",
        60,
        1,
        86_400,
        "First lock; each further lock doubles it.",
      ),
      maxLockoutSeconds: int(env, "MEMORIC_LOGIN_MAX_LOCKOUT_SECONDS", 3600, 1, 7 * 86_400, "Longest lock."),
      trustedProxies: list(
        env,
        "MEMORIC_TRUSTED_PROXIES",
        "a comma-separated list of IP addresses",
        "Peers whose X-Forwarded-For is believed (exact addresses); empty believes none.",
      ),
    },
    memory: {
      encryption: bool(
        env,
        "MEMORIC_ENCRYPTION",
        true,
        "Encrypt memory content and metadata at rest; off stores plaintext, marked per row.",
      ),
      maxContentBytes: int(env, "MEMORIC_MAX_CONTENT_BYTES", 32 * 1024, 16, 1024 * 1024, "Largest memory content."),
      maxBatchSize: int(env, "MEMORIC_MAX_BATCH_SIZE", 100, 1, 10_000, "Most memories in one batch call."),
      endUsersAutoCreate: bool(
        env,
        "MEMORIC_END_USERS_AUTO_CREATE",
        true,
        "A write or token request naming an unknown end user creates it; off answers NotFound until CreateEndUser.",
      ),
      search: {
        relevanceWeight: float(
          env,
          "MEMORIC_SEARCH_RELEVANCE_WEIGHT",
          0.6,
          0,
          100,
          "Search score weight of text relevance (BM25).",
        ),
        recencyWeight: float(env, "MEMORIC_SEARCH_RECENCY_WEIGHT", 0.25, 0, 100, "Search score weight of recency."),
        importanceWeight: float(
          env,
          "MEMORIC_SEARCH_IMPORTANCE_WEIGHT",
          0.15,
          0,
          100,
          "Search score weight of importance.",
        ),
        threadBoost: float(
          env,
          "MEMORIC_SEARCH_THREAD_BOOST",
          0.1,
          0,
          100,
          "Search score bonus for a memory of the given thread.",
        ),
        topicBoost: float(
          env,
          "MEMORIC_SEARCH_TOPIC_BOOST",
          0.05,
          0,
          100,
          "Search score bonus for a memory of the given topic.",
        ),
        recencyHalfLifeHours: float(
          env,
          "MEMORIC_SEARCH_RECENCY_HALF_LIFE_HOURS",
          72,
          0.01,
          1_000_000,
          "Age at which a memory's recency score has halved.",
        ),
        bm25K1: float(env, "MEMORIC_SEARCH_BM25_K1", 1.2, 0, 10, "BM25 term-frequency saturation (k1)."),
        bm25B: float(env, "MEMORIC_SEARCH_BM25_B", 0.75, 0, 1, "BM25 document-length normalisation (b)."),
        denseWeight: float(
          env,
          "MEMORIC_SEARCH_DENSE_WEIGHT",
          0.5,
          0,
          1,
          "Share of embedding similarity in a hybrid search's relevance (the rest is BM25 relevance).",
        ),
      },
      embeddings: embeddings(env),
      policies: {
        intervalSeconds: int(
          env,
          "MEMORIC_POLICY_INTERVAL_SECONDS",
          3600,
          0,
          7 * 86_400,
          "How often the memory policies run (0 = only on RunPolicies).",
        ),
        midTermAfterDays: int(
          env,
          "MEMORIC_POLICY_MID_TERM_AFTER_DAYS",
          7,
          0,
          36_500,
          "Age at which a memory moves to mid-term.",
        ),
        longTermAfterDays: int(
          env,
          "MEMORIC_POLICY_LONG_TERM_AFTER_DAYS",
          30,
          0,
          36_500,
          "Age at which a memory moves to long-term.",
        ),
        trimAboveChars: int(
          env,
          "MEMORIC_POLICY_TRIM_ABOVE_CHARS",
          2000,
          50,
          1_000_000,
          "Mid/long-term memories longer than this are trimmed (original kept in history); also a summary's length.",
        ),
        summaryMinMemories: int(
          env,
          "MEMORIC_POLICY_SUMMARY_MIN_MEMORIES",
          20,
          2,
          1_000_000,
          "Memories a thread needs before it gets a summary memory.",
        ),
        shortTermRetentionDays: int(
          env,
          "MEMORIC_RETENTION_SHORT_TERM_DAYS",
          0,
          0,
          36_500,
          "Short-term memories older than this are deleted (0 = kept forever).",
        ),
        midTermRetentionDays: int(
          env,
          "MEMORIC_RETENTION_MID_TERM_DAYS",
          0,
          0,
          36_500,
          "Mid-term memories older than this are deleted (0 = kept forever).",
        ),
        longTermRetentionDays: int(
          env,
          "MEMORIC_RETENTION_LONG_TERM_DAYS",
          0,
          0,
          36_500,
          "Long-term memories older than this are deleted (0 = kept forever).",
        ),
      },
    },
    audit: {
      enabled: bool(env, "MEMORIC_AUDIT", true, "Write the tamper-evident audit log."),
      shards: int(env, "MEMORIC_AUDIT_SHARDS", 16, 1, 1024, "Independent hash chains the audit log is spread over."),
      checkpointIntervalSeconds: int(
        env,
        "MEMORIC_AUDIT_CHECKPOINT_INTERVAL_SECONDS",
        300,
        1,
        86_400,
        "How often every chain head is signed into a checkpoint.",
      ),
      retentionDays: int(
        env,
        "MEMORIC_AUDIT_RETENTION_DAYS",
        365,
        1,
        36_500,
        "Audit rows older than this are deleted once a signed checkpoint covers them.",
      ),
      logGranted: bool(
        env,
        "MEMORIC_AUDIT_LOG_GRANTED",
        false,
        "Also audit every granted access (authz.access.granted; noisy).",
      ),
      batchBoundMs: int(
        env,
        "MEMORIC_AUDIT_BATCH_BOUND_MS",
        1000,
        10,
        60_000,
        "Longest a read (or a failed call) waits for its batched audit row to commit; past it, Unavailable.",
      ),
      batchMaxQueued: int(
        env,
        "MEMORIC_AUDIT_BATCH_MAX_QUEUED",
        10_000,
        1,
        1_000_000,
        "Audit rows waiting for a batch beyond which further reads are refused at once (Unavailable).",
      ),
    },
    health: {
      maxHeapRatio: 0.95,
      minFreeDiskBytes:
        MIB *
        int(
          env,
          "MEMORIC_HEALTH_MIN_FREE_DISK_MB",
          100,
          0,
          10_000_000,
          "/health/detailed warns below this much free disk.",
        ),
      maxDbLatencyMs: int(
        env,
        "MEMORIC_HEALTH_MAX_DB_LATENCY_MS",
        250,
        1,
        60_000,
        "/health/detailed warns above this database latency.",
      ),
    },
  };
}
