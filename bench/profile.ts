/**
 * `BENCH_PROFILE=1 npm run bench -- goals`: the main server runs under `--cpu-prof`; when it stops,
 * its profile is summarized here (self time by function and by package), the file kept for DevTools.
 */
import fs from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function where(url: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes("/src/")) return `src/${url.split("/src/")[1]!.split("/")[0]}`;
  if (url.startsWith("node:")) return url;
  return url === "" ? "(native/gc/idle)" : path.basename(url);
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}

/** A text summary of every .cpuprofile in dir. */
export function summarizeProfiles(dir: string): string {
  const out: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const nodes = (JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { nodes: ProfileNode[] }).nodes;
    const byFn = new Map<string, number>();
    const byPkg = new Map<string, number>();
    let total = 0;
    for (const node of nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      total += hits;
      const { functionName, url, lineNumber } = node.callFrame;
      const fn = `${functionName || "(anonymous)"} ${where(url)}${url ? `:${lineNumber + 1}` : ""}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
      byPkg.set(where(url), (byPkg.get(where(url)) ?? 0) + hits);
    }
    out.push(`CPU profile ${path.join(dir, file)} (${total} samples)`, "self time by package:");
    out.push(...top(byPkg, total, 20), "self time by function:", ...top(byFn, total, 30));
  }
  return out.join("\n");
}
