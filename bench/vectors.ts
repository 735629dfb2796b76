/**
 * `npm run bench -- vectors`: SearchMemories p95 for one account holding 10k memories WITH vectors,
 * hybrid vs lexical, in the same run, on one database, out of process: two server processes on that
 * database (replicas), H with the test embedding server as provider (test/support/embedding-server.ts:
 * hashed trigrams, no semantic quality — this measures cost only) and L without embeddings (lexical).
 * The memories and their vectors go in through H's BatchCreateMemories (client-sent vectors). Queries
 * alternate between the two in rounds so the machine's noise hits both alike. Goal: hybrid p95 ≤ 2×
 * lexical p95. Reported: hybrid with the provider embedding each query over HTTP, hybrid with the
 * client's own query vector, and the first hybrid search's cost (decrypting the vectors into the index).
 */
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../gen/memoric/v1/memory_pb.js";
import { startEmbeddingServer } from "../test/support/embedding-server.js";
import { corpus } from "./corpus.js";
import { startServerProcess } from "./server-process.js";
import { round, summarize, type Figures } from "./support.js";

const ENV = {
  LOG_LEVEL: "warn",
  MEMORIC_RATE_LIMIT_RPC: "1000000",
  MEMORIC_POLICY_INTERVAL_SECONDS: "0",
};
const PASSWORD = "bench vectors passphrase 42";
/** Per BatchCreateMemories call: the most a batch may hold. */
const SEED_BATCH = 100;

function memoryClient(url: string, token: string) {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createClient(MemoryService, createGrpcTransport({ baseUrl: url, interceptors: [auth] }));
}

export async function benchVectors(
  opts: { memories?: number; queries?: number; dims?: number; rounds?: number } = {},
): Promise<Figures> {
  const memories = opts.memories ?? Number(process.env.BENCH_VECTOR_MEMORIES ?? 10_000);
  const queries = opts.queries ?? 300;
  const dims = opts.dims ?? 384;
  const rounds = opts.rounds ?? 6;
  const embedder = await startEmbeddingServer(dims);
  const vectorEnv = {
    MEMORIC_EMBEDDINGS_URL: embedder.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram-test",
    MEMORIC_EMBEDDINGS_DIMENSIONS: String(dims),
    MEMORIC_EMBEDDINGS_POLL_MS: "3600000",
  };
  const hybrid = await startServerProcess({ ...ENV, ...vectorEnv });
  // The replica shares the database and secrets, not the ports or the embeddings settings.
  const replicaEnv = Object.fromEntries(
    Object.entries(hybrid.env).filter(([k]) => !/^(PORT|MEMORIC_ADMIN_PORT|MEMORIC_EMBEDDINGS_.*)$/.test(k)),
  );
  const lexical = await startServerProcess(replicaEnv, undefined, hybrid.db);
  const out: Figures = {};
  try {
    const auth = createClient(AuthService, createGrpcTransport({ baseUrl: hybrid.url }));
    const username = `bench${Date.now()}`;
    await auth.register({ username, email: `${username}@example.com`, password: PASSWORD, fullName: username });
    const { accessToken } = await auth.login({ username, password: PASSWORD });
    const viaH = memoryClient(hybrid.url, accessToken);
    const viaL = memoryClient(lexical.url, accessToken);
    const c = corpus(23);
    const started = performance.now();
    for (let done = 0; done < memories; done += SEED_BATCH) {
      const n = Math.min(SEED_BATCH, memories - done);
      await viaH.batchCreateMemories({
        memories: Array.from({ length: n }, (_, i) => {
          const content = c.text();
          return { content, threadId: `t${(done + i) % 200}`, embedding: Array.from(embedder.vectorOf(content)) };
        }),
      });
    }
    out[`seed ${memories / 1000}k memories with ${dims}-dim vectors through the API (s)`] = round(
      (performance.now() - started) / 1000,
      1,
    );

    const qs = Array.from({ length: queries }, c.query);
    const qv = qs.map((q) => Array.from(embedder.vectorOf(q)));
    const t0 = performance.now();
    const first = await viaH.searchMemories({ query: qs[0]!, topK: 10 });
    out["first hybrid search, index decrypted and built (ms)"] = round(performance.now() - t0, 0);
    out["first hybrid search mode (2 = hybrid)"] = first.mode;
    for (let i = 0; i < 30; i++) {
      await viaL.searchMemories({ query: qs[i]!, topK: 10 });
      await viaH.searchMemories({ query: qs[i]!, topK: 10 });
    }
    const samples = { lexical: [] as number[], hybrid: [] as number[], clientVector: [] as number[] };
    const per = Math.ceil(queries / rounds);
    const time = async (list: number[], call: () => Promise<unknown>) => {
      const t = performance.now();
      await call();
      list.push(performance.now() - t);
    };
    for (let r = 0; r < rounds; r++) {
      for (let i = r * per; i < Math.min(queries, (r + 1) * per); i++) {
        await time(samples.lexical, () => viaL.searchMemories({ query: qs[i]!, topK: 10 }));
        await time(samples.hybrid, () => viaH.searchMemories({ query: qs[i]!, topK: 10 }));
        await time(samples.clientVector, () =>
          viaH.searchMemories({ query: qs[i]!, queryEmbedding: qv[i]!, topK: 10 }),
        );
      }
    }
    const l = summarize(samples.lexical);
    const h = summarize(samples.hybrid);
    const v = summarize(samples.clientVector);
    out["lexical p50/p95 (ms)"] = `${round(l.p50)} / ${round(l.p95)}`;
    out["hybrid, provider embeds the query p50/p95 (ms)"] = `${round(h.p50)} / ${round(h.p95)}`;
    out["hybrid, client query vector p50/p95 (ms)"] = `${round(v.p50)} / ${round(v.p95)}`;
    out["hybrid / lexical p95 (goal ≤ 2)"] = round(h.p95 / l.p95);
    out["hybrid (client vector) / lexical p95"] = round(v.p95 / l.p95);
  } finally {
    await lexical.stop();
    await hybrid.stop();
    await embedder.close();
  }
  return out;
}
