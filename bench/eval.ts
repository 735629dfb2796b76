/**
 * `npm run eval [path/to/set.json]`: retrieval quality on a labelled set, through the public API.
 * Starts the real server in process (embedded PGlite unless DATABASE_URL is set), registers one
 * account, stores the set's memories with CreateMemory (memory 0 as CRITICAL, the others with the
 * importance the service derives), asks every question with SearchMemories and prints hit@1, hit@5
 * and MRR (first relevant result within the top 10), plus the questions that found nothing at all
 * and, for each question, whether GetContext included memory 0. Lexical only: the service has no
 * semantic (embedding) search yet. EVAL_VERBOSE=1 prints the top 3 of every question not hit at 1.
 *
 * The set: { memories: string[], questions: { q: string, answers: number[] }[] }. The default is
 * the shared development set; held-out sets are measured the same way by passing their path.
 */
import { createClient } from "@connectrpc/connect";
import fs from "node:fs";
import path from "node:path";
import { Importance, MemoryService } from "../gen/memoric/v1/memory_pb.js";
import { registerAndLogin } from "../test/support/identity.js";
import { startTestServer } from "../test/support/server.js";
import { round } from "./support.js";

interface EvalSet {
  memories: string[];
  questions: { q: string; answers: number[] }[];
}

const TOP_K = 10;

function findSet(): string {
  const given = process.argv[2] ?? process.env.MEMORIC_EVAL_SET;
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
await run("lexical", {}, set);
process.exit(0);
