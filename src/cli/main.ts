/**
 * The `memoric` operator CLI. Argument parsing uses node:util parseArgs (Node's own, maintained
 * parser) rather than a hand-written one. Commands run against the same database and secrets as
 * the server (same environment variables).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { openCore } from "../server/app.js";
import fs from "node:fs";
import type { Config } from "../config.js";
import { resolveSecrets } from "../security/deployment-secrets.js";
import { DataDirLockedError } from "../store/data-dir-lock.js";
import { auditVerifyCommand } from "./audit.js";
import { indexRebuild } from "./index-rebuild.js";
import { keysAdd, keysDisable, keysGenerate, keysList, keysPromote, keysRewrap } from "./keys.js";
import { usersCreateCommand, usersCreateServiceAccountCommand } from "./users.js";

const USAGE = `usage: memoric <command> [options]     (memoric --help, memoric <command> --help: this text)
  memoric users create --username NAME --email EMAIL [--full-name NAME] [--role ADMIN|USER|READ_ONLY]
      (the password is read from stdin, or prompted for on a terminal)
  memoric users create-service-account NAME [--roles USER|READ_ONLY[,...]] [--key-name NAME] [--email EMAIL]
      a backend's account (no password, API keys only) and its first API key, printed once on the
      last line of the output
  memoric audit verify [--json]          recompute every audit chain against the signed checkpoints
  memoric keys generate                  a new master keyset (prints JSON: keyset = new MEMORIC_KEYSET)
  memoric keys list                      the current keyset's keys
  memoric keys add                       the current keyset plus a new, non-primary key
  memoric keys promote --key-id N        the current keyset with key N as primary
  memoric keys disable --key-id N [--force]   refused while data keys are still wrapped under N
  memoric keys rewrap [--batch-size N] [--rotate-data-keys]
                                         rewrap every data key under the primary key and re-encrypt
                                         outdated or plaintext rows (batched, resumable)
  Keysets are printed, never stored: put the printed keyset in MEMORIC_KEYSET (or its file).
  memoric index rebuild [--batch-size N] re-index memories whose search index is outdated after an
                                         upgrade of the text analysis (batched, resumable)

Environment: the server's (DATABASE_URL or MEMORIC_DATA_DIR, MEMORIC_KEYSET, MEMORIC_JWT_SECRET, ...).
Without DATABASE_URL, commands that open the embedded database refuse while a server (or another
command) has its data directory open: stop the server first.

Exit codes: 0 success; 1 failure (invalid configuration, a refused value such as a weak password, an
audit chain that does not verify or cannot be read, ...); 2 usage error (unknown command or option,
missing argument); 3 the embedded data directory is in use by another process (a running server).`;

/** Exit codes, documented in USAGE. */
const EXIT = { ok: 0, failure: 1, usage: 2, dataDirLocked: 3 } as const;

/** A command line that does not match USAGE: exit code 2, with the usage text. */
class UsageError extends Error {}

/** node:util parseArgs, its errors (unknown option, missing value...) being usage errors. */
function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  process.stderr.write("password: ");
  process.stdin.setRawMode(true);
  let password = "";
  for await (const chunk of process.stdin) {
    for (const ch of (chunk as Buffer).toString("utf8")) {
      if (ch === "\r" || ch === "\n") {
        process.stdin.setRawMode(false);
        process.stderr.write("\n");
        return password;
      }
      if (ch === "\u0003") process.exit(130);
      password = ch === "\u007f" ? password.slice(0, -1) : password + ch;
    }
  }
  return password;
}

/** The keyset the server would use: MEMORIC_KEYSET, its file, or (embedded dev mode) the generated one. */
async function currentKeyset(config: Config): Promise<string> {
  if (config.secrets.keysetBase64) return config.secrets.keysetBase64;
  if (config.secrets.keysetFile) return fs.readFileSync(config.secrets.keysetFile, "utf8").trim();
  const ring = (await resolveSecrets(config)).keyring;
  if (!ring) throw new Error("no keyset: set MEMORIC_KEYSET or MEMORIC_KEYSET_FILE");
  return ring.toBase64();
}

function keyIdOption(rest: string[]): { keyId: number; force: boolean } {
  const { values } = parseOptions({
    args: rest,
    options: { "key-id": { type: "string" }, force: { type: "boolean", default: false } },
    strict: true,
  });
  const keyId = Number(values["key-id"]);
  if (!Number.isSafeInteger(keyId) || keyId < 0) {
    throw new UsageError("--key-id: the numeric id of a key (see memoric keys list)");
  }
  return { keyId, force: values.force ?? false };
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

async function keysCommand(command: string | undefined, rest: string[]): Promise<number> {
  if (command === "generate") return (print(await keysGenerate()), 0);
  const config = loadConfig();
  if (command === "list") return (print(await keysList(await currentKeyset(config))), 0);
  if (command === "add") return (print(await keysAdd(await currentKeyset(config))), 0);
  if (command === "promote") return (print(await keysPromote(await currentKeyset(config), keyIdOption(rest).keyId)), 0);
  // Options checked before the database is opened (and its data directory locked).
  const disable = command === "disable" ? keyIdOption(rest) : undefined;
  const rewrap = disable
    ? undefined
    : parseOptions({
        args: rest,
        options: { "batch-size": { type: "string" }, "rotate-data-keys": { type: "boolean", default: false } },
        strict: true,
      }).values;
  const deps = await openCore(config, createLogger("warn"));
  try {
    if (disable) {
      print(await keysDisable(await currentKeyset(config), disable.keyId, { sql: deps.db.sql, force: disable.force }));
      return 0;
    }
    const result = await keysRewrap({
      sql: deps.db.sql,
      keysetBase64: await currentKeyset(config),
      batchSize: rewrap?.["batch-size"] ? Number(rewrap["batch-size"]) : undefined,
      rotateDataKeys: rewrap?.["rotate-data-keys"],
      logger: deps.logger,
      audit: deps.audit,
    });
    print(result);
    return result.failedUsers.length === 0 ? 0 : 1;
  } finally {
    await deps.db.close();
  }
}

const COMMANDS: Record<string, readonly string[]> = {
  users: ["create", "create-service-account"],
  audit: ["verify"],
  keys: ["generate", "list", "add", "promote", "disable", "rewrap"],
  index: ["rebuild"],
};

async function indexCommand(rest: string[]): Promise<number> {
  const { values } = parseOptions({ args: rest, options: { "batch-size": { type: "string" } }, strict: true });
  const batchSize = values["batch-size"] === undefined ? undefined : Number(values["batch-size"]);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000))
    throw new UsageError("--batch-size: an integer between 1 and 10000");
  const config = loadConfig();
  const deps = await openCore(config, createLogger("warn"));
  try {
    const result = await indexRebuild({
      sql: deps.db.sql,
      keysetBase64: await currentKeyset(config),
      batchSize,
      logger: deps.logger,
      audit: deps.audit,
    });
    print(result);
    return result.failedOwners.length === 0 ? EXIT.ok : EXIT.failure;
  } finally {
    await deps.db.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (argv.length === 0) throw new UsageError("missing command");
  // Before any option parsing: `memoric users create --help` must not ask for a password.
  if (group === "help" || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const known = group !== undefined && Object.hasOwn(COMMANDS, group) ? COMMANDS[group] : undefined;
  if (!known) throw new UsageError(`unknown command: ${group}`);
  if (command === undefined) throw new UsageError(`missing command after ${group}`);
  if (!known.includes(command)) throw new UsageError(`unknown command: ${group} ${command}`);
  if (group === "keys") return keysCommand(command, rest);
  if (group === "index") return indexCommand(rest);
  if (group === "audit") {
    const { values } = parseOptions({
      args: rest,
      options: { json: { type: "boolean", default: false } },
      strict: true,
    });
    return auditVerifyCommand({ config: loadConfig(), logger: createLogger("warn"), json: values.json });
  }
  if (command === "create-service-account") return createServiceAccountCommand(rest);
  const { values } = parseOptions({
    args: rest,
    options: {
      username: { type: "string" },
      email: { type: "string" },
      "full-name": { type: "string", default: "" },
      role: { type: "string", default: "USER" },
    },
    strict: true,
  });
  if (!values.username || !values.email) throw new UsageError("--username and --email are required");
  const config = loadConfig();
  // Opened before the password is read: a locked data directory is refused without prompting.
  const deps = await openCore(config, createLogger("warn"));
  try {
    const password = await readPassword();
    const created = await usersCreateCommand(deps, {
      username: values.username,
      email: values.email,
      fullName: values["full-name"] ?? "",
      role: values.role ?? "USER",
      password,
    });
    process.stdout.write(`${created}\n`);
  } finally {
    await deps.db.close();
  }
  return EXIT.ok;
}

async function createServiceAccountCommand(rest: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: rest,
    options: {
      roles: { type: "string", multiple: true, default: [] },
      "key-name": { type: "string", default: "" },
      email: { type: "string", default: "" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError("users create-service-account: exactly one username");
  const deps = await openCore(loadConfig(), createLogger("warn"));
  try {
    const lines = await usersCreateServiceAccountCommand(deps, {
      username: positionals[0]!,
      email: values.email ?? "",
      roles: (values.roles ?? []).flatMap((r) => r.split(",")),
      keyName: values["key-name"] ?? "",
    });
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await deps.db.close();
  }
  return EXIT.ok;
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`memoric: ${err.message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (err instanceof DataDirLockedError) {
    process.stderr.write(`memoric: ${err.message}\n`);
    return EXIT.dataDirLocked;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`memoric: ${err instanceof ConfigError ? `invalid configuration: ${message}` : message}\n`);
  return EXIT.failure;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(exitCodeFor(err)),
);
