/**
 * `npm run bench`: every benchmark, each reporting its figures next to a baseline measured in the
 * same run (this machine is shared and noisy; absolute numbers mean little, ratios more).
 * Uses DATABASE_URL when set, the embedded database otherwise. `npm run bench -- auth` runs one;
 * `npm run bench -- --skip end-users` runs all but one (end-users seeds 100k end users first; its size
 * is MEMORIC_BENCH_END_USERS).
 */
import { benchAudit, benchAuditRpc } from "./audit.js";
import { benchAuth } from "./auth.js";
import { benchEndUsers } from "./end-users.js";
import { benchMemory } from "./memory.js";
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

const BENCHES: Record<string, () => Promise<Figures>> = {
  auth: benchAuth,
  memory: () => benchMemory(),
  "audit-store": async () => flatten(await benchAudit()),
  "audit-rpc": async () => flatten(await benchAuditRpc()),
  "end-users": benchEndUsers,
};

const args = process.argv.slice(2);
const skip = args.flatMap((a, i) => (args[i - 1] === "--skip" ? [a] : a.startsWith("--skip=") ? [a.slice(7)] : []));
const only = args.filter((a, i) => !a.startsWith("--skip") && args[i - 1] !== "--skip");
for (const name of [...skip, ...only]) if (!(name in BENCHES)) throw new Error(`unknown bench ${name}`);
for (const [name, run] of Object.entries(BENCHES)) {
  if ((only.length > 0 && !only.includes(name)) || skip.includes(name)) continue;
  process.stdout.write(`\n## ${name} (${process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite"})\n`);
  const figures = await run();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(48)} ${v}\n`);
}
process.exit(0);
