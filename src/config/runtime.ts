/** Request limits, the database pool, the audit log and health thresholds. */
import { type Source, int, bool, MIB } from "./settings.js";
import type { Config } from "./schema.js";

export function limitsSettings(env: Source): Config["limits"] {
  return {
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
  };
}

export function dbSettings(env: Source): Config["db"] {
  return {
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
  };
}

export function auditSettings(env: Source): Config["audit"] {
  return {
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
  };
}

export function healthSettings(env: Source): Config["health"] {
  return {
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
  };
}
