/**
 * Every Prometheus metric the server exports, created once per process (startServer) and passed
 * through AppContext, so the store, security and job code record through typed methods whose label
 * values come from small fixed sets — never a user id, username, token or request content.
 *
 * gRPC metrics use the standard names of go-grpc-prometheus / grpc-ecosystem, so existing
 * dashboards work; the rest are prefixed memoric_. prom-client does the bookkeeping.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

export type GrpcType = "unary" | "client_stream" | "server_stream" | "bidi_stream";
export type AuditAppendMode = "transaction" | "batch";
/** Why a Login was refused. "throttled" = refused by the brute-force limit before any password check. */
type LoginFailureReason = "unknown_user" | "wrong_password" | "inactive_account" | "throttled";
type LockoutScope = "account" | "address";
/** Which budget refused the call: the RPC budgets (by kind of caller) or the password-guessing ones. */
type RateLimitScope =
  | "rpc_user"
  | "rpc_end_user"
  | "rpc_api_key"
  | "rpc_anonymous"
  | "login_account"
  | "login_address"
  | "password_change";
/** What failed to decrypt: a user's wrapped data key, or rows sealed with it. */
export type DecryptionTarget = "data_key" | "memory" | "memory_version" | "memory_cluster" | "memory_vector";
/** One HTTP request to the embedding provider: ok, or why it failed. */
export type EmbeddingOutcome = "ok" | "timeout" | "network" | "rate_limited" | "http_error" | "invalid_response";
/** A search with a query: hybrid (dense used), lexical (vectors off / none yet), degraded (embedder failed). */
export type SearchMode = "hybrid" | "lexical" | "degraded";
/** What the backfill did with one memory's vector. */
type BackfillOutcome = "ready" | "retry" | "failed" | "stale";
/** ok / dry_run: the run completed; busy: another runner held the lease; failed: it threw. */
type PolicyRunOutcome = "ok" | "dry_run" | "busy" | "failed";

export interface GrpcLabels {
  grpc_type: GrpcType;
  grpc_service: string;
  grpc_method: string;
}

export interface Metrics {
  /** Served on the admin listener's /metrics; other modules may register their own collectors on it. */
  readonly registry: Registry;
  readonly grpc: {
    readonly started: Counter<keyof GrpcLabels>;
    readonly handled: Counter<keyof GrpcLabels | "grpc_code">;
    readonly handlingSeconds: Histogram<keyof GrpcLabels>;
    readonly msgReceived: Counter<keyof GrpcLabels>;
    readonly msgSent: Counter<keyof GrpcLabels>;
  };
  auditAppended(mode: AuditAppendMode, ok: boolean, seconds: number): void;
  loginFailed(reason: LoginFailureReason): void;
  lockedOut(scope: LockoutScope): void;
  rateLimited(scope: RateLimitScope): void;
  decryptionFailed(what: DecryptionTarget): void;
  /** seconds: only for runs that held the lease (a busy run did no work). */
  policyRan(outcome: PolicyRunOutcome, seconds?: number): void;
  embeddingRequested(outcome: EmbeddingOutcome, seconds: number): void;
  searched(mode: SearchMode): void;
  backfilled(outcome: BackfillOutcome, n: number): void;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * defaultMetrics: process and Node.js runtime metrics (the server; the CLI has no use for them).
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    // Gauges named *_total break Prometheus naming rules (promtool lint); each is only the sum of
    // the same-named gauge without the suffix (by type), which stays.
    for (const name of ["handles", "requests", "resources"]) registry.removeSingleMetric(`nodejs_active_${name}_total`);
  }
  const registers = [registry];
  const labelNames = ["grpc_type", "grpc_service", "grpc_method"] as const;
  const grpc = {
    started: new Counter({
      name: "grpc_server_started_total",
      help: "Total number of RPCs started on the server.",
      labelNames,
      registers,
    }),
    handled: new Counter({
      name: "grpc_server_handled_total",
      help: "Total number of RPCs completed on the server, regardless of success or failure.",
      labelNames: [...labelNames, "grpc_code"] as const,
      registers,
    }),
    handlingSeconds: new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    msgReceived: new Counter({
      name: "grpc_server_msg_received_total",
      help: "Total number of RPC stream messages received on the server.",
      labelNames,
      registers,
    }),
    msgSent: new Counter({
      name: "grpc_server_msg_sent_total",
      help: "Total number of gRPC stream messages sent by the server.",
      labelNames,
      registers,
    }),
  };

  const auditAppend = new Histogram({
    name: "memoric_audit_append_seconds",
    help:
      "Time to append audit rows (mode: one row inside the caller's transaction, or one group-committed batch; " +
      "outcome: ok or error).",
    labelNames: ["mode", "outcome"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const loginFailures = new Counter({
    name: "memoric_auth_login_failures_total",
    help: "Refused Login attempts, by reason (unknown_user, wrong_password, inactive_account, throttled).",
    labelNames: ["reason"] as const,
    registers,
  });
  const lockouts = new Counter({
    name: "memoric_auth_lockouts_total",
    help: "Login locks imposed after too many failures, by scope (account or client address).",
    labelNames: ["scope"] as const,
    registers,
  });
  const rateLimits = new Counter({
    name: "memoric_rate_limit_rejections_total",
    help: "Calls refused with ResourceExhausted by a rate limit, by the budget that refused them.",
    labelNames: ["scope"] as const,
    registers,
  });
  const decryption = new Counter({
    name: "memoric_decryption_failures_total",
    help: "Stored data that could not be decrypted (answered DataLoss), by what failed.",
    labelNames: ["what"] as const,
    registers,
  });
  const policyRuns = new Counter({
    name: "memoric_policy_runs_total",
    help: "Memory policy runs (scheduled or RunPolicies), by outcome (ok, dry_run, busy, failed).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const policySeconds = new Histogram({
    name: "memoric_policy_run_duration_seconds",
    help: "Duration of memory policy runs that held the lease.",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
    registers,
  });

  const embeddingSeconds = new Histogram({
    name: "memoric_embedding_request_seconds",
    help: "HTTP requests to the embedding provider, by outcome (ok, timeout, network, rate_limited, http_error, ...).",
    labelNames: ["outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const searches = new Counter({
    name: "memoric_search_mode_total",
    help: "Searches with a query, by mode: hybrid, lexical, or degraded (the embedder failed: lexical only).",
    labelNames: ["mode"] as const,
    registers,
  });
  const backfills = new Counter({
    name: "memoric_embedding_backfill_total",
    help: "Memory vectors handled by the backfill job, by outcome (ready, retry, failed, stale).",
    labelNames: ["outcome"] as const,
    registers,
  });

  return {
    registry,
    grpc,
    auditAppended: (mode, ok, seconds) => auditAppend.observe({ mode, outcome: ok ? "ok" : "error" }, seconds),
    loginFailed: (reason) => loginFailures.inc({ reason }),
    lockedOut: (scope) => lockouts.inc({ scope }),
    rateLimited: (scope) => rateLimits.inc({ scope }),
    decryptionFailed: (what) => decryption.inc({ what }),
    policyRan: (outcome, seconds) => {
      policyRuns.inc({ outcome });
      if (seconds !== undefined) policySeconds.observe(seconds);
    },
    embeddingRequested: (outcome, seconds) => embeddingSeconds.observe({ outcome }, seconds),
    searched: (mode) => searches.inc({ mode }),
    backfilled: (outcome, n) => backfills.inc({ outcome }, n),
  };
}
