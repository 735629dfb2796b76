/** The typed configuration every module is handed (read by src/config.ts). */
import type { LogLevel } from "./settings.js";

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
      /** Query expansion's bounds: relatives this common are dropped; at most this many postings for the rest. */
      expansionMaxDf: number;
      expansionPostings: number;
      /** A query word in more memories than this is read from its newest this-many postings (unfiltered searches). */
      commonWordPostings: number;
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
