/**
 * What the goal table's loads share: the servers' settings, a bench account, request frames and the
 * row that averages a load's rounds.
 */
import { create } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../gen/memoric/v1/auth_pb.js";
import { BatchCreateMemoriesRequestSchema, CreateMemoryRequestSchema } from "../gen/memoric/v1/memory_pb.js";
import { meanCpu } from "./cpu.js";
import { grpcFrame, type H2Result } from "./h2load.js";
import { corpus } from "./corpus.js";
import type { ServerProcess } from "./server-process.js";

export const SERVER_ENV = {
  MEMORIC_RATE_LIMIT_RPC: "1000000",
  MEMORIC_RATE_LIMIT_END_USER_RPC: "1000000",
  MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "1000000",
  MEMORIC_LOGIN_MAX_FAILURES: "1000",
  MEMORIC_POLICY_INTERVAL_SECONDS: "0",
  MEMORIC_MAX_BATCH_SIZE: "1000",
  MEMORIC_BCRYPT_COST: "12",
  MEMORIC_END_USERS_AUTO_CREATE: "on",
  // One busy account (a backend's service account at 64 streams) may use every transaction slot, and
  // on this shared machine a call queues rather than failing fast: the table measures the hot path's
  // throughput, not the fairness limits (test/e2e/noisy-neighbour.test.ts covers those).
  MEMORIC_DB_MAX_CONCURRENT_PER_PRINCIPAL: "9",
  MEMORIC_DB_ACQUIRE_TIMEOUT_MS: "30000",
  MEMORIC_DB_STATEMENT_TIMEOUT_MS: "60000",
};

export const PASSWORD = "load test passphrase 2026";
export const END_USER = "bench-end-user";
/** The end user holding the English-like corpus (bench/corpus.ts englishCorpus). */
export const ENGLISH_END_USER = "bench-english-end-user";
export const STREAMS = { clients: 4, streams: 16 };

export interface Account {
  token: string;
  userId: string;
  username: string;
}

export function transport(server: ServerProcess, token?: string) {
  const auth: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createGrpcTransport({ baseUrl: server.url, interceptors: [auth] });
}

export async function account(server: ServerProcess, username: string): Promise<Account> {
  const auth = createClient(AuthService, transport(server));
  const { user } = await auth.register({ username, email: `${username}@example.com`, password: PASSWORD });
  const { accessToken } = await auth.login({ username, password: PASSWORD });
  return { token: accessToken, userId: user!.id, username };
}

export const text = corpus(11).text;
export const createFrame = (endUserId = "") =>
  grpcFrame(
    CreateMemoryRequestSchema,
    create(CreateMemoryRequestSchema, { content: text(), threadId: "t1", endUserId }),
  );
export const batchFrame = (n: number) =>
  grpcFrame(
    BatchCreateMemoriesRequestSchema,
    create(BatchCreateMemoriesRequestSchema, {
      memories: Array.from({ length: n }, (_, i) => ({ content: text(), threadId: `t${i % 20}` })),
    }),
  );

/** Sums several runs of one row (rounds interleaved with the other rows). */
export class Row {
  private readonly runs: H2Result[] = [];
  get empty() {
    return this.runs.length === 0;
  }
  add(r: H2Result) {
    this.runs.push(r);
  }
  get perSecond() {
    return this.runs.length ? this.runs.reduce((s, r) => s + r.perSecond, 0) / this.runs.length : 0;
  }
  /** Latency percentiles: the worst round's (conservative). */
  get p50() {
    return Math.max(0, ...this.runs.map((r) => r.p50));
  }
  get p99() {
    return Math.max(0, ...this.runs.map((r) => r.p99));
  }
  get rssMb() {
    return Math.max(0, ...this.runs.map((r) => r.rssMb));
  }
  get cpu() {
    return meanCpu(this.runs.map((r) => r.cpu));
  }
}
