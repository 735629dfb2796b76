/**
 * `npm run bench -- floor`: the least CPU each unmet goal's call must cost on this machine whatever
 * the server's own code does, and so the best rate (and ratio to Health/Check) the goal could reach.
 *
 * A call's floor is the sum of parts every implementation of the design pays, each measured with no
 * server code of ours around it:
 * - the framework: Health/Check's CPU per call, server and load generator (a no-op RPC);
 * - a read's transaction as the server issues it (BEGIN, the RLS context by SET LOCAL, one statement,
 *   COMMIT written behind it; store/tx.ts), driven from this process at 64 in flight: postgres.js's
 *   CPU and PostgreSQL's;
 * - a read's audit row through the batcher the server uses, 64 appends in flight (so batches are at
 *   least as large as under the server's load, the cheapest a row gets): this process and PostgreSQL;
 * - a create's statement: PostgreSQL's CPU per CreateMemory and per memory of BatchCreate 1000/call
 *   as the server sends them (the memory row, its postings and the audit row in one transaction);
 * - a memory's preparation (analysis, blind index, sealing; store/memories.ts prepareMemories) in
 *   batches of 1,000, in this process.
 * Every part is a lower bound (measured alone, at the cheapest batch sizes), so the best rate is an
 * upper bound: rate <= cores / floor. The server, PostgreSQL and the load share the machine's cores.
 */
import { availableParallelism } from "node:os";
import { create } from "@bufbuild/protobuf";
import { HealthCheckRequestSchema } from "../gen/grpc/health/v1/health_pb.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { RPCS } from "../src/domain/access-rules.js";
import type { CallInfo } from "../src/domain/call.js";
import { MasterKeyring } from "../src/security/crypto.js";
import { createAuditWriter } from "../src/store/audit-log.js";
import { openDatabase } from "../src/store/database.js";
import { findUserById } from "../src/store/identity/users.js";
import { prepareMemories, type MemoryStoreDeps } from "../src/store/memories.js";
import { OwnerKeys } from "../src/store/owner-keys.js";
import { selfOwner } from "../src/store/owner.js";
import { inTx, userContext } from "../src/store/tx.js";
import { postgresBetween, readCpu } from "./cpu.js";
import { account, batchFrame, createFrame, SERVER_ENV, STREAMS, text } from "./goal-support.js";
import { grpcFrame, h2load } from "./h2load.js";
import { startServerProcess } from "./server-process.js";

/** CPU per call (µs) of each part: what runs outside PostgreSQL, and PostgreSQL. */
interface Part {
  outsideUs: number;
  postgresUs: number;
}

export interface FloorInputs {
  cores: number;
  /** Health/Check at 64 streams: its rate, and its server + load CPU per call as outsideUs. */
  healthPerSecond: number;
  framework: Part;
  readTx: Part;
  auditRow: Part;
  /** PostgreSQL's CPU per CreateMemory, and per memory of BatchCreate 1000/call (outsideUs 0). */
  createStatement: Part;
  batchStatementPerMemory: Part;
  /** Preparing one memory, in batches of 1,000 (postgresUs 0). */
  preparePerMemory: Part;
}

export interface FloorRow {
  call: string;
  parts: string;
  floorUs: number;
  bestPerSecond: number;
  /** Best rate over Health/Check's, for the ratio goals. */
  bestRatio: number | undefined;
  goal: string;
  reachable: boolean;
}

const sum = (parts: Part[]) => parts.reduce((s, p) => s + p.outsideUs + p.postgresUs, 0);
const us = (n: number) => Math.round(n).toLocaleString("en-US");
/** "301 (232 + PG 69)": a part's whole, then outside PostgreSQL and inside. */
const split = (p: Part) =>
  p.outsideUs === 0 || p.postgresUs === 0
    ? us(sum([p]))
    : `${us(sum([p]))} (${us(p.outsideUs)} + PG ${us(p.postgresUs)})`;

/** The floor of each goal's call, from the measured parts (pure: test/bench/floor.test.ts). */
export function floorRows(m: FloorInputs): FloorRow[] {
  const best = (floorUs: number) => (m.cores * 1e6) / floorUs;
  const read = sum([m.framework, m.readTx, m.auditRow]);
  const createOne = sum([m.framework, m.createStatement]);
  const bulk = sum([m.preparePerMemory, m.batchStatementPerMemory]);
  const ratioRow = (call: string, parts: string, floorUs: number, goal: number, done: number): FloorRow => {
    const ratio = best(floorUs) / m.healthPerSecond;
    return {
      call,
      parts,
      floorUs,
      bestPerSecond: best(floorUs),
      bestRatio: ratio,
      goal: `>= ${goal}x (done: >= ${done}x)`,
      reachable: ratio >= done,
    };
  };
  return [
    ratioRow(
      "GetCurrentUser @64 (GetMemory pays more: two decryptions)",
      `framework ${split(m.framework)} + read transaction ${split(m.readTx)} + audit row ${split(m.auditRow)}`,
      read,
      0.7,
      0.5,
    ),
    ratioRow(
      "CreateMemory @64",
      `framework ${split(m.framework)} + PostgreSQL's statement ${split(m.createStatement)}`,
      createOne,
      0.5,
      0.3,
    ),
    {
      call: "BatchCreate 1000/call, per memory",
      parts: `preparation ${split(m.preparePerMemory)} + PostgreSQL's statement ${split(m.batchStatementPerMemory)}`,
      floorUs: bulk,
      bestPerSecond: best(bulk),
      bestRatio: undefined,
      goal: ">= 10,000/s",
      reachable: best(bulk) >= 10_000,
    },
  ];
}

export function formatFloor(m: FloorInputs, rows: FloorRow[]): string {
  const lines = [
    `Health/Check @64: ${us(m.healthPerSecond)}/s; ${m.cores} cores shared by server, PostgreSQL and load.`,
    "| call | least CPU per call (µs) | parts | best rate | best ratio | goal | reachable |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => {
      const ratio = r.bestRatio === undefined ? "" : `${r.bestRatio.toFixed(2)}x`;
      const reachable = r.reachable ? "yes" : "no";
      const best = `${us(r.bestPerSecond)}/s`;
      return `| ${r.call} | ${us(r.floorUs)} | ${r.parts} | ${best} | ${ratio} | ${r.goal} | ${reachable} |`;
    }),
  ];
  return lines.join("\n");
}

/** Runs `total` calls of fn, `concurrency` in flight; CPU per call of this process and of PostgreSQL. */
async function measure(serverPid: number, total: number, concurrency: number, fn: () => Promise<unknown>) {
  let left = total;
  const before = readCpu(serverPid);
  const own = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await fn();
    }),
  );
  const spent = process.cpuUsage(own);
  const after = readCpu(serverPid);
  return {
    outsideUs: (spent.user + spent.system) / total,
    postgresUs: (postgresBetween(before, after) * 1e6) / total,
  };
}

export async function benchFloor(scale = 1): Promise<string> {
  const n = (x: number) => Math.max(100, Math.round(x * scale));
  const server = await startServerProcess(SERVER_ENV);
  const logger = createLogger("silent");
  const config = loadConfig(server.env);
  const db = await openDatabase({
    databaseUrl: server.env.DATABASE_URL,
    dataDir: server.db.dataDir,
    poolMax: 10,
    logger,
  });
  const audit = createAuditWriter({ sql: db.sql, config: config.audit });
  try {
    const a = await account(server, "floor");
    const HC = "grpc.health.v1.Health/Check";
    const health = grpcFrame(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {}));
    const CM = "memoric.v1.MemoryService/CreateMemory";
    const BCM = "memoric.v1.MemoryService/BatchCreateMemories";
    const batch = { frame: batchFrame(1000), token: a.token, clients: 1, streams: 4 };
    // Warm-up: the server's code paths and the bench's own.
    await h2load(server, { procedure: HC, frame: health, requests: 4000, ...STREAMS });
    await h2load(server, { procedure: CM, frame: createFrame(), token: a.token, requests: 1000, ...STREAMS });
    await h2load(server, { procedure: BCM, requests: 4, ...batch });

    const h = await h2load(server, { procedure: HC, frame: health, requests: n(20_000), ...STREAMS });
    const c = await h2load(server, {
      procedure: CM,
      frame: createFrame(),
      token: a.token,
      requests: n(4000),
      ...STREAMS,
    });
    const b = await h2load(server, { procedure: BCM, requests: Math.round(n(2000) / 100), ...batch });

    const readTx = () =>
      inTx(db.sql, userContext(a.userId), (tx) => findUserById(tx, a.userId), { oneStatement: true });
    const procedure = "memoric.v1.AuthService/GetCurrentUser";
    const call = (): CallInfo => ({
      principal: {
        type: "user",
        userId: a.userId,
        username: a.username,
        roles: ["USER"],
        permissions: new Set(),
        sessionId: crypto.randomUUID(),
        credentialId: crypto.randomUUID(),
      },
      requestId: crypto.randomUUID(),
      clientAddress: "127.0.0.1",
      userAgent: "h2load nghttp2/1.52.0",
      service: "memoric.v1.AuthService",
      method: "GetCurrentUser",
    });
    const event = RPCS[procedure]!.event!;
    const auditRow = () =>
      audit.recordStandalone(call(), { type: event, success: true, resourceType: "user", resourceId: a.userId });
    await measure(server.pid, 4000, 64, readTx);
    await measure(server.pid, 4000, 64, auditRow);

    const keyring = await MasterKeyring.fromBase64(config.secrets.keysetBase64!);
    const deps: MemoryStoreDeps = { keys: new OwnerKeys(keyring), config, logger };
    const key = await deps.keys.ensure(db.sql, a.userId);
    const items = Array.from({ length: 1000 }, () => ({
      content: text(),
      threadId: "t1",
      agentId: "",
      namespace: "",
      metadata: {},
      importance: 0, // derived, as for the goal table's requests
      topic: "",
      category: "",
      role: 0,
      expiresAt: null,
      idempotencyKey: "",
    }));
    const prepare = () => prepareMemories(deps, key, selfOwner(a.userId), items);
    await measure(server.pid, 4, 1, prepare);

    const inputs: FloorInputs = {
      cores: availableParallelism(),
      healthPerSecond: h.perSecond,
      framework: { outsideUs: h.cpu.serverUs + h.cpu.clientUs, postgresUs: h.cpu.postgresUs },
      readTx: await measure(server.pid, n(20_000), 64, readTx),
      auditRow: await measure(server.pid, n(20_000), 64, auditRow),
      createStatement: { outsideUs: 0, postgresUs: c.cpu.postgresUs },
      batchStatementPerMemory: { outsideUs: 0, postgresUs: b.cpu.postgresUs / 1000 },
      preparePerMemory: (({ outsideUs }) => ({ outsideUs: outsideUs / 1000, postgresUs: 0 }))(
        await measure(server.pid, Math.max(2, Math.round(10 * scale)), 1, prepare),
      ),
    };
    return formatFloor(inputs, floorRows(inputs));
  } finally {
    audit.close();
    await db.close();
    await server.stop();
  }
}
