/**
 * The one typed view of the environment. Every setting has exactly one entry, here or in the section
 * it belongs to (src/config/: runtime limits, security, memory, embeddings): its variable name, its
 * parser and its default, read in README's order. A bad value stops start-up with a message naming
 * the variable and the expected form (ConfigError).
 */
import path from "node:path";
import { memorySettings } from "./config/memory.js";
import { auditSettings, dbSettings, healthSettings, limitsSettings } from "./config/runtime.js";
import type { Config } from "./config/schema.js";
import { abuseSettings, authSettings, secretsSettings } from "./config/security.js";
import {
  bool,
  ConfigError,
  databaseUrl,
  type Env,
  int,
  logLevel,
  optionalPort,
  origins,
  type SettingDoc,
  type Source,
  str,
} from "./config/settings.js";

export type { Config, EmbeddingsConfig } from "./config/schema.js";
export { ConfigError, type LogLevel, type SettingDoc } from "./config/settings.js";

export function loadConfig(env: Env = process.env): Config {
  return readConfig({ vars: env });
}

/**
 * Every setting README documents, in the order loadConfig reads them. Runs the loader on an empty
 * environment with a recorder, so every setting must be read unconditionally; a variable read
 * without its helper (or twice, or without a description) is an error here, which fails the docs
 * check in CI.
 */
export function describeConfig(): SettingDoc[] {
  const docs: SettingDoc[] = [];
  const touched = new Set<string>();
  const vars = new Proxy<Env>(
    {},
    {
      get(_target, name) {
        if (typeof name === "string") touched.add(name);
        return undefined;
      },
    },
  );
  readConfig({ vars, declare: (doc) => docs.push(doc) });
  const declared = new Set<string>();
  for (const d of docs) {
    if (declared.has(d.variable)) throw new Error(`${d.variable} is declared twice in src/config/`);
    declared.add(d.variable);
    if (d.description.trim() === "" || /[\r\n]/.test(d.description)) {
      throw new Error(`${d.variable} needs a one-line description in src/config/`);
    }
  }
  const undeclared = [...touched].filter((name) => !declared.has(name));
  if (undeclared.length > 0) {
    throw new Error(`read without a documented helper in src/config/: ${undeclared.join(", ")}`);
  }
  return docs;
}

function readConfig(env: Source): Config {
  const dataDir = path.resolve(
    str(
      env,
      "MEMORIC_DATA_DIR",
      "./data",
      "a directory path",
      "Embedded database and its generated development secrets.",
    ),
  );
  const port = int(
    env,
    "PORT",
    8080,
    0,
    65535,
    "The public port: every RPC protocol and the HTTP probes (0 = any free port).",
  );
  const host = str(env, "HOST", "0.0.0.0", "an address to bind", "Address the public port listens on.");
  const adminPort = optionalPort(
    env,
    "MEMORIC_ADMIN_PORT",
    9090,
    "Admin listener (/metrics, /health/detailed), for the cluster only: 0 = any free port, off = none.",
  );
  if (adminPort !== undefined && adminPort !== 0 && adminPort === port) {
    throw new ConfigError("MEMORIC_ADMIN_PORT", `a port other than PORT (${port}), or off`, String(adminPort));
  }
  return {
    port,
    host,
    admin: {
      port: adminPort,
      host: str(
        env,
        "MEMORIC_ADMIN_HOST",
        host,
        "an address to bind",
        "Address the admin listener listens on.",
        "(value of HOST)",
      ),
    },
    databaseUrl: databaseUrl(env, "DATABASE_URL", "PostgreSQL server; set, the service runs in production mode."),
    dataDir,
    corsOrigins: origins(
      env,
      "MEMORIC_CORS_ORIGINS",
      "Browser origins allowed to call (Connect-Web, gRPC-Web); empty allows no cross-origin call.",
    ),
    logLevel: logLevel(env, "LOG_LEVEL", "Least severe log level written."),
    printBanner: bool(
      env,
      "MEMORIC_PRINT_BANNER",
      true,
      "At start-up, print where the server listens and a first call to try (always on a terminal).",
    ),
    console: bool(env, "MEMORIC_CONSOLE", true, "Serve the browser console at /console/ on the public port."),
    limits: limitsSettings(env),
    db: dbSettings(env),
    secrets: secretsSettings(env),
    auth: authSettings(env),
    abuse: abuseSettings(env),
    memory: memorySettings(env),
    audit: auditSettings(env),
    health: healthSettings(env),
  };
}
