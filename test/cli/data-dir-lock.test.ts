/**
 * Spec: the embedded data directory has one user at a time. While a server runs on it, `memoric
 * users create` (which would otherwise write into a second, private PGlite copy that vanishes)
 * refuses with a message naming the directory and the server's pid, exit code 3; a second server
 * refuses to start. Once the server stops, the CLI works and its user survives; a lock left by a
 * dead process is taken over.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { LOCK_FILE_NAME } from "../../src/store/data-dir-lock.js";
import { testSecretsEnv } from "../support/secrets.js";
import { startTestServer } from "../support/server.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PASSWORD = "cli created passphrase 55";
let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ChildProcess | undefined;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-cli-lock-"));
  // DATABASE_URL empty: embedded mode whatever the test run's database is.
  env = {
    ...process.env,
    ...(await testSecretsEnv()),
    MEMORIC_DATA_DIR: dataDir,
    MEMORIC_BCRYPT_COST: "10",
    DATABASE_URL: "",
  };
});
afterAll(() => {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface ServerProcess {
  child: ChildProcess;
  listening: Promise<number>;
  exited: Promise<number | null>;
  output: () => string;
}

function startServerProcess(): ServerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { ...env, PORT: "0", HOST: "127.0.0.1", MEMORIC_PRINT_BANNER: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      const m = /"port":(\d+),.*"msg":"memoric listening"/.exec(output);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    void exited.then((code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
  listening.catch(() => {}); // awaited where a start is expected; a refused start is awaited via exited
  return { child, listening, exited, output: () => output };
}

function usersCreate(username: string) {
  const args = ["users", "create", "--username", username, "--email", `${username}@example.com`];
  return spawnSync(process.execPath, ["bin/memoric.js", ...args], {
    cwd: ROOT,
    env,
    input: `${PASSWORD}\n`,
    encoding: "utf8",
    timeout: 60_000,
  });
}

it("refuses while the server runs, works once it stops, and the user survives", { timeout: 180_000 }, async () => {
  const first = startServerProcess();
  server = first.child;
  await first.listening;
  const pid = first.child.pid!;

  const refused = usersCreate("bob");
  expect(refused.status).toBe(3);
  expect(refused.stdout).toBe("");
  expect(refused.stderr).toContain(`the embedded data directory ${dataDir} is in use by process ${pid}`);
  expect(refused.stderr).toContain(path.join(dataDir, LOCK_FILE_NAME));

  // A second server on the same directory refuses to start too.
  const second = startServerProcess();
  expect(await second.exited).not.toBe(0);
  expect(second.output()).toContain(`is in use by process ${pid}`);

  // The refused command left nothing behind: the running server does not know bob.
  const url = `http://127.0.0.1:${await first.listening}`;
  const auth = createClient(AuthService, createGrpcTransport({ baseUrl: url }));
  const err = await auth.login({ username: "bob", password: PASSWORD }).catch((e: unknown) => ConnectError.from(e));
  expect(err).toMatchObject({ code: Code.Unauthenticated });

  first.child.kill("SIGTERM");
  expect(await first.exited).toBe(0);
  expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);

  const created = usersCreate("bob");
  expect(created.stderr).toBe("");
  expect(created.status).toBe(0);
  expect(created.stdout).toMatch(/^created bob /);
  expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);

  const restarted = await startTestServer({}, { databaseUrl: undefined, dataDir, drop: async () => {} });
  try {
    const client = createClient(AuthService, createGrpcTransport({ baseUrl: restarted.url }));
    const login = await client.login({ username: "bob", password: PASSWORD });
    expect(login.user?.username).toBe("bob");
  } finally {
    await restarted.stop();
  }
});

it("takes over a lock left by a process that no longer exists", { timeout: 120_000 }, () => {
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  fs.writeFileSync(path.join(dataDir, LOCK_FILE_NAME), `${dead.stdout}\n`);
  const created = usersCreate("carol");
  expect(created.stderr).toBe("");
  expect(created.status).toBe(0);
  expect(fs.existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
});
