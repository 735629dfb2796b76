/**
 * `npm run bench`: first the goal table (goals.ts: the server in a process of its own, loaded by
 * h2load over raw gRPC and by a Node client, baselines measured in the same run), then the in-process
 * figures (store-level costs without transport). This machine is shared and noisy: absolute numbers
 * mean little, the ratios of one run more. `npm run bench -- goals` (or floor, auth, memory, audit-store,
 * audit-rpc, end-users, vectors) runs one; `npm run bench -- --skip end-users` runs all but one (end-users
 * seeds 100k end users first; its size is MEMORIC_BENCH_END_USERS). BENCH_SCALE=0.25 shortens every
 * load of the goal table.
 */
import { benchAudit, benchAuditRpc } from "./audit.js";
import { benchAuth } from "./auth.js";
import { benchEndUsers } from "./end-users.js";
import { benchFloor } from "./floor.js";
import { benchGoals } from "./goals.js";
import { benchMemory } from "./memory.js";
import { benchVectors } from "./vectors.js";
import type { Figures } from "./support.js";

/** Flattens nested result objects into "a.b.c" figure rows. */
function flatten(value: unknown, prefix = "", out: Figures = {}): Figures {
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof value === "number" || typeof value === "string") {
    out[prefix] = value;
  }
  return out;
}

const BENCHES: Record<string, () => Promise<Figures | string>> = {
  goals: () =>
    benchGoals({
      scale: Number(process.env.BENCH_SCALE ?? 1),
      searchMemories: Number(process.env.BENCH_SEARCH_MEMORIES ?? 100_000),
    }),
  floor: () => benchFloor(Number(process.env.BENCH_SCALE ?? 1)),
  auth: benchAuth,
  memory: () => benchMemory(),
  "audit-store": async () => flatten(await benchAudit()),
  "audit-rpc": async () => flatten(await benchAuditRpc()),
  "end-users": benchEndUsers,
  vectors: () => benchVectors(),
};

/** Benches whose servers run in child processes (the rest drive an in-process server). */
const OUT_OF_PROCESS = new Set(["goals", "floor", "vectors"]);

const args = process.argv.slice(2);
const skip = args.flatMap((a, i) => (args[i - 1] === "--skip" ? [a] : a.startsWith("--skip=") ? [a.slice(7)] : []));
const only = args.filter((a, i) => !a.startsWith("--skip") && args[i - 1] !== "--skip");
for (const name of [...skip, ...only]) if (!(name in BENCHES)) throw new Error(`unknown bench ${name}`);
for (const [name, run] of Object.entries(BENCHES)) {
  if ((only.length > 0 && !only.includes(name)) || skip.includes(name)) continue;
  const where = process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite";
  const what = OUT_OF_PROCESS.has(name) ? "out of process" : "in process";
  process.stdout.write(`\n## ${name} (${where}, ${what})\n`);
  const figures = await run();
  if (typeof figures === "string") {
    process.stdout.write(`${figures}\n`);
    continue;
  }
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(48)} ${v}\n`);
}
process.exit(0);
