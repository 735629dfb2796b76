#!/usr/bin/env node
// Biome wraps code at 120 columns but leaves long strings, templates (SQL) and comments as they are;
// this fails the lint on any such line so they are broken by hand.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const MAX = 120;
const roots = ["src", "test", "bench", "bin", "scripts", "clients/typescript/src", "console/src", "*.config.ts"];
const files = execFileSync("git", ["ls-files", "--", ...roots], { encoding: "utf8" })
  .split("\n")
  .filter((f) => /\.(ts|tsx|js|mjs|css)$/.test(f) && !f.startsWith("clients/typescript/src/gen/"));
let long = 0;
for (const file of files) {
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const width = [...line].length;
      if (width > MAX) {
        long++;
        console.error(`${file}:${i + 1}: ${width} columns (max ${MAX})`);
      }
    });
}
if (long > 0) process.exit(1);
