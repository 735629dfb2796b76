/**
 * `npm run bench`: every benchmark, each reporting its figures next to a baseline measured in the
 * same run (this machine is shared and noisy; absolute numbers mean little, ratios more).
 * Uses DATABASE_URL when set, the embedded database otherwise. `npm run bench -- auth` runs one.
 */
import { benchAudit, benchAuditRpc } from "./audit.js";
import { benchAuth } from "./auth.js";
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
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(BENCHES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n## ${name} (${process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite"})\n`);
  const figures = await run();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(48)} ${v}\n`);
}
process.exit(0);
