/** The service version, read once from package.json (the one place it is written). */
import fs from "node:fs";

// The nearest package.json above this module: one level up from src/version.ts (tsx), two from the
// compiled dist/src/version.js.
function findManifest(): URL {
  for (let url = new URL("../package.json", import.meta.url); ; url = new URL("../package.json", url)) {
    if (fs.existsSync(url)) return url;
    if (url.pathname === "/package.json") throw new Error(`package.json not found above ${import.meta.url}`);
  }
}
const manifest = findManifest();
const pkg = JSON.parse(fs.readFileSync(manifest, "utf8")) as {
  name: string;
  version: string;
};

export const SERVICE_NAME: string = pkg.name;
export const SERVICE_VERSION: string = pkg.version;
