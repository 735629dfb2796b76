/** V8 settings the server starts with, each one an operator's own `node --flag` overrides. */
import v8 from "node:v8";

/**
 * Node options every launcher of the server passes (`npm start`, the image's CMD, the benchmarks'
 * server): unlike the V8 flags below, they size the process before any code runs.
 * `--v8-pool-size=0`: V8's helper threads (parallel scavenges, concurrent marking, background
 * compilation) one fewer than the cores, instead of Node's fixed 4. On a 2-core machine the 4
 * helpers, the main thread, the analysis thread and PostgreSQL contended for the cores: during
 * BatchCreate the helpers took ~20% of the server's CPU; with one, batches gained 6-8% at the same
 * RSS while other calls did not move (docs/performance.md).
 */
export const NODE_OPTIONS = ["--v8-pool-size=0"] as const;

/**
 * Sets `flag` (e.g. "--heap-growing-percent=50") unless the operator passed the V8 flag `name` to node
 * themselves, in either spelling (dashes or underscores) and either sense (`--name`, `--no-name`).
 * Returns whether it was set.
 */
export function v8Default(
  name: string,
  flag: string,
  execArgv: readonly string[] = process.execArgv,
  set: (flag: string) => void = v8.setFlagsFromString,
): boolean {
  const spellings = [name, name.replaceAll("-", "_")].flatMap((n) => [`--${n}`, `--no-${n}`]);
  if (execArgv.some((a) => spellings.some((s) => a === s || a.startsWith(`${s}=`)))) return false;
  set(flag);
  return true;
}
