/**
 * `npm run bench -- vectors`: SearchMemories p95 for one end user holding 10k memories WITH vectors,
 * hybrid vs lexical, in the same run, on one database: server L has no embeddings configured
 * (lexical), server H uses the test embedding server (test/support/embedding-server.ts: hashed
 * trigrams, no semantic quality — this measures cost only). Queries alternate between the two in
 * rounds so the machine's noise hits both alike. Goal (issue 12): hybrid p95 ≤ 2× lexical p95.
 * Reported: hybrid with the provider embedding each query over HTTP, hybrid with the client's own
 * query vector, and the first hybrid search's cost (decrypting the owner's vectors into the index).
 */
import { createClient } from "@connectrpc/connect";
import { MemoryService } from "../gen/memoric/v1/memory_pb.js";
import { MasterKeyring } from "../src/security/crypto.js";
import type { MemoryStoreDeps } from "../src/store/memories.js";
import { uuidv7 } from "../src/store/memory-rows.js";
import { planVector, vectorSettings } from "../src/store/memory-vectors.js";
import { insertPrepared, prepareMemory } from "../src/store/memory-write.js";
import { selfOwner } from "../src/store/owner.js";
import { OwnerKeys } from "../src/store/owner-keys.js";
import { inTx, userContext } from "../src/store/tx.js";
import { createLogger } from "../src/logger.js";
import { startEmbeddingServer } from "../test/support/embedding-server.js";
import { bearerTransport, registerAndLogin } from "../test/support/identity.js";
import { startTestServer } from "../test/support/server.js";
import { createSharedDatabase } from "../test/support/shared-database.js";
import { corpus } from "./memory.js";
import { round, summarize, type Figures } from "./support.js";

const ENV = {
  LOG_LEVEL: "warn",
  MEMORIC_RATE_LIMIT_RPC: "1000000",
  MEMORIC_POLICY_INTERVAL_SECONDS: "0",
};

export async function benchVectors(
  opts: { memories?: number; queries?: number; dims?: number; rounds?: number } = {},
): Promise<Figures> {
  const memories = opts.memories ?? Number(process.env.BENCH_VECTOR_MEMORIES ?? 10_000);
  const queries = opts.queries ?? 300;
  const dims = opts.dims ?? 384;
  const rounds = opts.rounds ?? 6;
  const embedder = await startEmbeddingServer(dims);
  const shared = await createSharedDatabase(2);
  const vectorEnv = {
    MEMORIC_EMBEDDINGS_URL: embedder.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram-test",
    MEMORIC_EMBEDDINGS_DIMENSIONS: String(dims),
    MEMORIC_EMBEDDINGS_POLL_MS: "3600000",
  };
  const hybrid = await startTestServer({ ...ENV, ...shared.env, ...vectorEnv }, shared.database);
  const lexical = await startTestServer({ ...ENV, ...shared.env }, shared.database);
  const out: Figures = {};
  try {
    const user = await registerAndLogin(hybrid);
    const keyring = await MasterKeyring.fromBase64(hybrid.config.secrets.keysetBase64!);
    const deps: MemoryStoreDeps = { keys: new OwnerKeys(keyring), config: hybrid.config, logger: createLogger("warn") };
    const settings = vectorSettings(hybrid.config)!;
    const owner = selfOwner(user.userId);
    const key = await deps.keys.ensure(hybrid.db.sql, user.userId);
    const c = corpus(23);
    const started = performance.now();
    for (let done = 0; done < memories; done += 1000) {
      const n = Math.min(1000, memories - done);
      const base = Date.now() - (memories - done) * 60_000;
      const items = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const content = c.text();
          const p = await prepareMemory(key, true, owner, uuidv7(base + i * 60_000), {
            content,
            threadId: `t${(done + i) % 200}`,
            agentId: "",
            namespace: "",
            metadata: {},
            importance: 0,
            topic: "",
            category: "",
            role: 0,
            expiresAt: null,
            idempotencyKey: "",
          });
          p.vector = await planVector(settings, key, owner.ownerId, p.id, embedder.vectorOf(content));
          return p;
        }),
      );
      await inTx(hybrid.db.sql, userContext(user.userId), (tx) => insertPrepared(tx, owner, items));
    }
    await hybrid.db.sql`analyze`.catch(() => undefined);
    out[`seed ${memories / 1000}k memories with ${dims}-dim vectors (s)`] = round(
      (performance.now() - started) / 1000,
      1,
    );

    const viaH = createClient(MemoryService, user.transport);
    const viaL = createClient(MemoryService, bearerTransport(lexical, user.token));
    const qs = Array.from({ length: queries }, c.query);
    const qv = qs.map((q) => embedder.vectorOf(q));
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
    await lexical.close();
    await hybrid.close();
    await shared.database.drop();
    await embedder.close();
  }
  return out;
}
