/**
 * Semantic search across replicas, over the wire: one server in this process and one in a child
 * process (src/main.ts), on one database, both using the test embedding server (no semantic
 * quality: only plumbing is checked). A vector written through one replica is seen by the other's
 * next search (its cached index is invalidated by the version in the database), and a write while
 * the provider is down succeeds and is backfilled.
 *
 * PostgreSQL only. Replicas of one database are a PostgreSQL deployment: embedded mode is one process
 * (its data directory is locked), and PGlite answers every connection from its one session, where two
 * servers' statements collide (CI saw a failed audit batch and an Internal login there).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryService, SearchMode } from "../../gen/memoric/v1/memory_pb.js";
import { testMode } from "../support/database.js";
import { startEmbeddingServer, type EmbeddingServer } from "../support/embedding-server.js";
import { asOwner, registerAndLogin, type TestUser } from "../support/identity.js";
import { testSecretsEnv } from "../support/secrets.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { createSharedDatabase, type SharedDatabase } from "../support/shared-database.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DIMS = 48;
let shared: SharedDatabase;
let embedder: EmbeddingServer;
let a: TestServer;
let child: ChildProcess;
let childUrl: string;
let output = "";
let user: TestUser;
let viaA: Client<typeof MemoryService>;
let viaB: Client<typeof MemoryService>;

function embeddingEnv(): Record<string, string> {
  return {
    MEMORIC_EMBEDDINGS_URL: embedder.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram-test",
    MEMORIC_EMBEDDINGS_DIMENSIONS: String(DIMS),
    MEMORIC_EMBEDDINGS_POLL_MS: "100",
    MEMORIC_EMBEDDINGS_QUERY_TIMEOUT_MS: "500",
    MEMORIC_EMBEDDINGS_TIMEOUT_MS: "1000",
  };
}

async function startChild(): Promise<string> {
  child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      MEMORIC_ADMIN_PORT: "off",
      MEMORIC_DATA_DIR: shared.database.dataDir,
      MEMORIC_BCRYPT_COST: "10",
      ...(await testSecretsEnv()),
      ...shared.env,
      ...embeddingEnv(),
      DATABASE_URL: shared.database.databaseUrl!,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 45_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /"port":(\d+),.*"msg":"memoric listening"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  });
  return `http://127.0.0.1:${port}`;
}

const replicasNeedPostgres = testMode === "embedded";

beforeAll(async () => {
  if (replicasNeedPostgres) return;
  embedder = await startEmbeddingServer(DIMS);
  shared = await createSharedDatabase(2);
  a = await startTestServer({ ...shared.env, ...embeddingEnv() }, shared.database);
  childUrl = await startChild();
  user = await registerAndLogin(a);
  viaA = clientOf(a.url);
  viaB = clientOf(childUrl);
}, 90_000);

function clientOf(baseUrl: string): Client<typeof MemoryService> {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${user.token}`);
    return next(req);
  };
  return createClient(MemoryService, createGrpcTransport({ baseUrl, interceptors: [auth] }));
}

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await a?.close();
  await shared?.database.drop();
  await embedder?.close();
});

const poll = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
};

describe.skipIf(replicasNeedPostgres)("semantic search across two server processes", () => {
  it("a vector written through one replica is found by the other's next search", async () => {
    const alpha = embedder.vectorOf("alpha particle");
    await viaA.createMemory({ content: "alpha particle", embedding: alpha });
    const first = await viaB.searchMemories({ query: "", queryEmbedding: alpha, explain: true });
    expect(first.mode).toBe(SearchMode.HYBRID);
    expect(first.results.map((r) => r.memory!.content)).toEqual(["alpha particle"]);
    // GetContext takes the same query vector over the wire and ranks its matches the same way.
    const context = await viaB.getContext({ query: "", queryEmbedding: alpha });
    expect(context.mode).toBe(SearchMode.HYBRID);
    expect(context.memoryIds).toEqual(first.results.map((r) => r.memory!.id));

    // B now holds alpha's index in its cache; a new vector through A must invalidate it.
    const beta = embedder.vectorOf("beta decay");
    const b = await viaA.createMemory({ content: "beta decay", embedding: beta });
    const second = await viaB.searchMemories({ query: "", queryEmbedding: beta, explain: true });
    expect(second.results[0]!.memory!.content).toBe("beta decay");
    expect(second.results[0]!.explanation!.dense).toBeCloseTo(1, 5);

    await viaA.deleteMemory({ id: b.memory!.id });
    const third = await viaB.searchMemories({ query: "", queryEmbedding: beta });
    expect(third.results.map((r) => r.memory!.content)).toEqual(["alpha particle"]);
  });

  it("a write while the provider is down succeeds, searches degrade, and the backfill embeds it later", async () => {
    embedder.mode = "down";
    const m = await viaB.createMemory({ content: "gamma ray burst observed" });
    expect(m.memory!.id).toBeTruthy();
    const degraded = await viaA.searchMemories({ query: "gamma ray" });
    expect(degraded.mode).toBe(SearchMode.DEGRADED);
    expect(degraded.results.map((r) => r.memory!.id)).toContain(m.memory!.id);
    // In a transaction: the embedded shared PGlite keeps a transaction on its connection, while a lone
    // statement could interleave with the other server's backfill polling (`portal "" does not exist`).
    const state = () =>
      asOwner(a, (sql) =>
        sql.begin(async (tx) => {
          const [row] = await tx<{ state: string; attempts: number }[]>`
            select state, attempts from memory_vectors where memory_id = ${m.memory!.id}`;
          return row;
        }),
      );
    await poll(async () => ((await state())?.attempts ?? 0) >= 1, "a backfill attempt while down");
    embedder.mode = "ok";
    await poll(async () => (await state())?.state === "ready", "the vector backfilled");
    const hybrid = await viaA.searchMemories({ query: "gamma ray", explain: true });
    expect(hybrid.mode).toBe(SearchMode.HYBRID);
    expect(hybrid.results[0]!.memory!.id).toBe(m.memory!.id);
    expect(hybrid.results[0]!.explanation!.dense).toBeGreaterThan(0);
  });
});
