/**
 * Shared parts of the database-outage e2e tests: continuous write load from several users (over
 * gRPC and Connect), a readiness observer (gRPC Health "readiness" and HTTP /readyz), a recorder
 * of process-level errors, and the checks that must hold afterwards.
 */
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { grpcCheck, grpcHealthClient, type GrpcHealthClient } from "../e2e/grpc-clients.js";
import { admin, registerAndLogin, type TestUser } from "./identity.js";
import type { TestServer } from "./server.js";

const CALL_DEADLINE_MS = 3000;
/** Codes a call may end with while the database comes and goes. */
const ALLOWED_CODES = new Set(["OK", Code[Code.Unavailable], Code[Code.DeadlineExceeded]]);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records uncaught exceptions and unhandled rejections in this process (the server runs in it). */
export function recordProcessErrors(): { errors: string[]; stop(): void } {
  const errors: string[] = [];
  const onError = (err: unknown) => errors.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return {
    errors,
    stop() {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    },
  };
}

/** A Connect-protocol (HTTP/1.1) client with the user's bearer token: the second transport family. */
function connectMemoryClient(server: TestServer, token: string): Client<typeof MemoryService> {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createClient(
    MemoryService,
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [auth] }),
  );
}

export interface WriteLoad {
  users: TestUser[];
  /** Ids acknowledged (OK with an id), per user index. */
  acked: string[][];
  codes: Map<string, number>;
  /** Calls that ended with a code outside ALLOWED_CODES, or took far longer than their deadline. */
  bad: string[];
  maxCallMs: number;
  stop(): Promise<void>;
}

/** Users (half on gRPC, half on Connect) each writing memories back to back until stop(). */
export async function startWriteLoad(server: TestServer, userCount: number): Promise<WriteLoad> {
  const users: TestUser[] = [];
  for (let i = 0; i < userCount; i++) users.push(await registerAndLogin(server));
  const clients = users.map((u, i) => (i % 2 === 0 ? u.client(MemoryService) : connectMemoryClient(server, u.token)));
  const load: WriteLoad = {
    users,
    acked: users.map(() => []),
    codes: new Map(),
    bad: [],
    maxCallMs: 0,
    stop: async () => {},
  };
  let stopping = false;
  const worker = async (i: number) => {
    for (let n = 0; !stopping; n++) {
      const started = performance.now();
      let code = "OK";
      try {
        const { memory } = await clients[i]!.createMemory(
          { content: `outage load ${i}/${n}`, threadId: `load-${i}` },
          { timeoutMs: CALL_DEADLINE_MS },
        );
        if (!memory?.id) load.bad.push(`user ${i} call ${n}: OK without an id`);
        else load.acked[i]!.push(memory.id);
      } catch (err) {
        const e = ConnectError.from(err);
        code = Code[e.code];
        if (!ALLOWED_CODES.has(code)) load.bad.push(`user ${i} call ${n}: ${code} ${e.rawMessage}`);
      }
      const took = performance.now() - started;
      load.maxCallMs = Math.max(load.maxCallMs, took);
      if (took > CALL_DEADLINE_MS + 1500) load.bad.push(`user ${i} call ${n}: ${code} after ${Math.round(took)} ms`);
      load.codes.set(code, (load.codes.get(code) ?? 0) + 1);
      if (code !== "OK") await sleep(50); // a failing database is not a reason to spin
    }
  };
  const running = users.map((_, i) => worker(i));
  load.stop = async () => {
    stopping = true;
    await Promise.all(running);
  };
  return load;
}

export type Readiness = "SERVING" | "NOT_SERVING";

/** Polls gRPC Health/Check("readiness") and GET /readyz until both report `want`. */
export class ReadinessObserver {
  private readonly health: GrpcHealthClient;
  constructor(private readonly server: TestServer) {
    this.health = grpcHealthClient(server.port);
  }

  async current(): Promise<{ grpc: string; http: Readiness }> {
    const [grpc, http] = await Promise.all([
      grpcCheck(this.health, "readiness").then(String, (e: Error) => `error: ${e.message}`),
      fetch(`${this.server.url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => (r.status === 200 ? "SERVING" : "NOT_SERVING") as Readiness,
        () => "NOT_SERVING" as Readiness,
      ),
    ]);
    return { grpc, http };
  }

  /** Milliseconds from `since` until both probes said `want` (each probe's own first time). */
  async waitFor(want: Readiness, since: number, timeoutMs: number): Promise<{ grpcMs: number; httpMs: number }> {
    let grpcMs: number | undefined;
    let httpMs: number | undefined;
    while (grpcMs === undefined || httpMs === undefined) {
      const elapsed = performance.now() - since;
      if (elapsed > timeoutMs)
        throw new Error(`readiness not ${want} within ${timeoutMs} ms (grpc ${grpcMs}, http ${httpMs})`);
      const now = await this.current();
      const at = performance.now() - since;
      if (grpcMs === undefined && now.grpc === want) grpcMs = at;
      if (httpMs === undefined && now.http === want) httpMs = at;
      await sleep(50);
    }
    return { grpcMs, httpMs };
  }

  close(): void {
    this.health.close();
  }
}

/** Every acknowledged id is readable by its owner; the audit chain verifies. */
export async function checkAftermath(
  server: TestServer,
  load: WriteLoad,
): Promise<{ missing: string[]; audit: { ok: boolean; checked: bigint } }> {
  const missing: string[] = [];
  for (let i = 0; i < load.users.length; i++) {
    const c = load.users[i]!.client(MemoryService);
    const ids = load.acked[i]!;
    for (let k = 0; k < ids.length; k += 20) {
      await Promise.all(
        ids.slice(k, k + 20).map((id) =>
          c.getMemory({ id }, { timeoutMs: 10_000 }).then(
            (r) => r.memory?.id === id || missing.push(`${id}: wrong answer`),
            (e: unknown) =>
              missing.push(`${id}: ${Code[ConnectError.from(e).code]} ${ConnectError.from(e).rawMessage}`),
          ),
        ),
      );
    }
  }
  const root = await admin(server);
  const verified = await root.client(AuditService).verifyAuditChain({}, { timeoutMs: 30_000 });
  return { missing, audit: { ok: verified.ok, checked: verified.checked } };
}
