/** The service version, read once from package.json (the one place it is written). */
import fs from "node:fs";

const pkg = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

export const SERVICE_NAME: string = pkg.name;
export const SERVICE_VERSION: string = pkg.version;
