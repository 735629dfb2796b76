/** V8 settings the server starts with, each one an operator's own `node --flag` overrides. */
import v8 from "node:v8";

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
