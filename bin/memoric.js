#!/usr/bin/env node
// The operator CLI. In a checkout (after npm ci, which installs the dev dependency tsx) it runs the
// TypeScript sources, so it is never staler than they are; where tsx is absent (the production image:
// npm ci --omit=dev) it runs the compiled dist/ from `npm run build`.
import fs from "node:fs";

let tsx;
try {
  tsx = await import("tsx/esm/api");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
}
if (tsx) {
  tsx.register();
  await import("../src/cli/main.ts");
} else {
  const compiled = new URL("../dist/src/cli/main.js", import.meta.url);
  if (!fs.existsSync(compiled)) {
    process.stderr.write("memoric: neither tsx (npm ci) nor a compiled dist/ (npm run build) is installed\n");
    process.exit(1);
  }
  await import(compiled.href);
}
