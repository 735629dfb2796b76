/**
 * The `memoric` operator CLI. Argument parsing uses node:util parseArgs (Node's own, maintained
 * parser) rather than a hand-written one. Commands run against the same database and secrets as
 * the server (same environment variables).
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { openCore } from "../server/app.js";
import { usersCreateCommand } from "./users.js";

const USAGE = `usage:
  memoric users create --username NAME --email EMAIL [--full-name NAME] [--role ADMIN|USER|READ_ONLY]
      (the password is read from stdin, or prompted for on a terminal)

Environment: the server's (DATABASE_URL or MEMORIC_DATA_DIR, MEMORIC_KEYSET, MEMORIC_JWT_SECRET, ...).`;

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
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

export async function run(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === "users" && command === "create") {
    const { values } = parseArgs({
      args: rest,
      options: {
        username: { type: "string" },
        email: { type: "string" },
        "full-name": { type: "string", default: "" },
        role: { type: "string", default: "USER" },
      },
      strict: true,
    });
    if (!values.username || !values.email) throw new Error("--username and --email are required");
    const password = await readPassword();
    const config = loadConfig();
    const deps = await openCore(config, createLogger("warn"));
    try {
      process.stdout.write(`${await usersCreateCommand(deps, { username: values.username, email: values.email, fullName: values["full-name"] ?? "", role: values.role ?? "USER", password })}\n`);
    } finally {
      await deps.db.close();
    }
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`memoric: ${err instanceof ConfigError ? `invalid configuration: ${err.message}` : err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
