/**
 * `npm run build [-- OUT_DIR]`: compiles src/ and gen/ with tsconfig.build.json into OUT_DIR (default
 * dist/), copies the files read at run time next to their compiled modules (the SQL migrations, found
 * relative to migrate.js), builds the browser console into OUT_DIR/public/console/ (served from there by
 * src/server/console.ts), and writes OUT_DIR/main.js, the production entry point (`node dist/main.js`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { buildConsole, writeConsole } from "../src/server/console-build.js";

const root = path.resolve(import.meta.dirname, "..");
const out = path.resolve(root, process.argv[2] ?? "dist");

fs.rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const tsconfig = path.join(root, "tsconfig.build.json");
const compiled = spawnSync(process.execPath, [tsc, "-p", tsconfig, "--outDir", out], { cwd: root, stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const assets = [{ from: "src/store/migrations", pattern: /\.sql$/ }];
for (const { from, pattern } of assets) {
  const target = path.join(out, from);
  fs.mkdirSync(target, { recursive: true });
  for (const name of fs.readdirSync(path.join(root, from))) {
    if (pattern.test(name)) fs.copyFileSync(path.join(root, from, name), path.join(target, name));
  }
}

writeConsole(await buildConsole(), path.join(out, "public/console"));

const entry = `// Production entry point (written by scripts/build.ts).\nimport "./src/main.js";\n`;
fs.writeFileSync(path.join(out, "main.js"), entry);
process.stdout.write(`built ${path.relative(root, out) || "."}/main.js\n`);
