/**
 * `npm run eval [path/to/set.json]`: retrieval quality on a labelled set, through the public API.
 * Starts the real server in process (embedded PGlite unless DATABASE_URL is set), registers one
 * account, stores the set's memories with CreateMemory (memory 0 as CRITICAL, the others with the
 * importance the service derives), asks every question with SearchMemories and prints hit@1, hit@5
 * and MRR (first relevant result within the top 10), plus the questions that found nothing at all
 * and, for each question, whether GetContext included memory 0. EVAL_VERBOSE=1 prints the top 3 of
 * every question not hit at 1.
 *
 * Rows: "lexical" always (embeddings off); "hybrid" when MEMORIC_EMBEDDINGS_URL (with _MODEL,
 * _DIMENSIONS, _API_KEY) names a real provider; with --test-embedder, a hybrid row on the test
 * embedding server (hashed trigrams: NO semantic quality, it only shows the hybrid path runs).
 *
 * The set: { memories: string[], questions: { q: string, answers: number[] }[] }. The default is
 * the shared development set; held-out sets are measured the same way by passing their path.
 */
import { createClient } from "@connectrpc/connect";
import fs from "node:fs";
import path from "node:path";
import { Importance, MemoryService } from "../gen/memoric/v1/memory_pb.js";
import { asOwner, registerAndLogin } from "../test/support/identity.js";
import { startEmbeddingServer } from "../test/support/embedding-server.js";
import { startTestServer, type TestServer } from "../test/support/server.js";
import { round } from "./support.js";

interface EvalSet {
  memories: string[];
  questions: { q: string; answers: number[] }[];
}

const TOP_K = 10;

function findSet(): string {
  const given = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? process.env.MEMORIC_EVAL_SET;
  const candidates = given
    ? [given]
    : [
        "../shared/eval/retrieval-dev.json",
        "../../shared/eval/retrieval-dev.json",
        "../../../shared/eval/retrieval-dev.json",
      ].map((p) => path.resolve(process.cwd(), p));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`evaluation set not found (tried ${candidates.join(", ")})`);
  return found;
}

/** Waits until the backfill job has embedded every memory (or given up on it). */
async function backfilled(server: TestServer): Promise<void> {
  for (;;) {
    const [r] = await asOwner(
      server,
      (sql) => sql<{ n: number }[]>`
      select count(*)::int as n from memory_vectors where state = 'pending'`,
    );
    if (r!.n === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function run(label: string, env: Record<string, string>, set: EvalSet): Promise<void> {
  const server = await startTestServer({ LOG_LEVEL: "warn", ...env });
  try {
    const user = await registerAndLogin(server);
    const client = createClient(MemoryService, user.transport);
    const ids: string[] = [];
    for (const [i, content] of set.memories.entries()) {
      const importance = i === 0 ? Importance.CRITICAL : Importance.UNSPECIFIED;
      ids.push((await client.createMemory({ content, importance })).memory!.id);
    }
    if (env.MEMORIC_EMBEDDINGS_URL) await backfilled(server);
    let hit1 = 0;
    let hit5 = 0;
    let rr = 0;
    let contextWithCore = 0;
    const empty: string[] = [];
    const misses: string[] = [];
    for (const { q, answers } of set.questions) {
      const wanted = new Set(answers.map((a) => ids[a]));
      const res = await client.searchMemories({ query: q, topK: TOP_K, explain: true });
      const ranked = res.results.map((r) => r.memory!.id);
      const first = ranked.findIndex((id) => wanted.has(id));
      if (first === 0) hit1++;
      if (first >= 0 && first < 5) hit5++;
      if (first >= 0) rr += 1 / (first + 1);
      if (process.env.EVAL_VERBOSE && first !== 0)
        process.stderr.write(
          `${q} -> ${res.results
            .slice(0, 3)
            .map((r) => `[${ids.indexOf(r.memory!.id)}] ${r.explanation?.relevance.toFixed(2)}`)
            .join(" ")}\n`,
        );
      if (ranked.length === 0) empty.push(q);
      else if (first < 0 || first >= 5) misses.push(q);
      const ctx = await client.getContext({ query: q });
      if (ctx.memoryIds.includes(ids[0]!)) contextWithCore++;
    }
    const n = set.questions.length;
    process.stdout.write(`\n## ${label} (${process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite"})\n`);
    process.stdout.write(`  questions ${n}, memories ${set.memories.length}\n`);
    process.stdout.write(`  hit@1 ${round(hit1 / n, 3)}  hit@5 ${round(hit5 / n, 3)}  MRR ${round(rr / n, 3)}\n`);
    process.stdout.write(`  GetContext includes memory 0: ${contextWithCore}/${n}\n`);
    process.stdout.write(`  no result at all (${empty.length}): ${empty.map((q) => JSON.stringify(q)).join(", ")}\n`);
    process.stdout.write(`  not in top 5 (${misses.length}): ${misses.map((q) => JSON.stringify(q)).join(", ")}\n`);
  } finally {
    await server.close();
  }
}

const file = findSet();
const set = JSON.parse(fs.readFileSync(file, "utf8")) as EvalSet;
process.stdout.write(`evaluation set: ${file}\n`);
const OFF = { MEMORIC_EMBEDDINGS_URL: "", MEMORIC_EMBEDDINGS_DIMENSIONS: "0" };
await run("lexical", OFF, set);
const fast = { MEMORIC_EMBEDDINGS_POLL_MS: "50" };
if (process.env.MEMORIC_EMBEDDINGS_URL) {
  const keys = ["URL", "MODEL", "DIMENSIONS", "API_KEY"].map((k) => `MEMORIC_EMBEDDINGS_${k}`);
  const env = Object.fromEntries(keys.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
  await run(`hybrid (${process.env.MEMORIC_EMBEDDINGS_MODEL})`, { ...env, ...fast }, set);
}
if (process.argv.includes("--test-embedder")) {
  const embedder = await startEmbeddingServer(256);
  const env = {
    MEMORIC_EMBEDDINGS_URL: embedder.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram-test",
    MEMORIC_EMBEDDINGS_DIMENSIONS: "256",
  };
  await run("hybrid on the TEST embedder (hashed trigrams, no semantic quality)", { ...env, ...fast }, set);
  await embedder.close();
}
process.exit(0);
