/**
 * Builds the browser console (console/) with esbuild: one hashed script and one hashed stylesheet,
 * index.html naming them, and the icon. `npm run build` writes the result under dist/public/console/; a server
 * running from source (tsx) builds it in memory on the first /console/ request instead. esbuild is a
 * development dependency: this module is loaded only in those two cases, never by a built server.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ConsoleFile {
  /** Path under /console/, e.g. "index.html" or "assets/app-3F2A9C1B.js". */
  name: string;
  contents: Uint8Array;
}

export async function buildConsole(): Promise<ConsoleFile[]> {
  const dir = path.join(ROOT, "console");
  const result = await esbuild.build({
    absWorkingDir: dir,
    entryPoints: { app: path.join(dir, "src/main.tsx") },
    tsconfig: path.join(dir, "tsconfig.json"),
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    entryNames: "[name]-[hash]",
    outdir: path.join(dir, "out/assets"),
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  const assets = result.outputFiles.map((f) => ({
    name: `assets/${path.basename(f.path)}`,
    contents: f.contents,
  }));
  const script = assets.find((a) => a.name.endsWith(".js"))?.name;
  const style = assets.find((a) => a.name.endsWith(".css"))?.name;
  if (!script || !style) throw new Error("console build produced no script or no stylesheet");
  const template = fs.readFileSync(path.join(dir, "index.html"), "utf8");
  const index = template.replace("%SCRIPT%", script).replace("%STYLE%", style);
  const icon = { name: "favicon.svg", contents: fs.readFileSync(path.join(dir, "favicon.svg")) };
  return [{ name: "index.html", contents: new TextEncoder().encode(index) }, icon, ...assets];
}

/** Writes the built files under outDir (dist/public/console). */
export function writeConsole(files: readonly ConsoleFile[], outDir: string): void {
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const file of files) {
    const target = path.join(outDir, file.name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.contents);
  }
}
