/**
 * Spec: the README's first command. `npm start` without DATABASE_URL serves on the embedded
 * database, as one node process started with the server's node options (src/server/v8-defaults.ts),
 * and stops cleanly on Ctrl-C. Linux only (it reads the process tree from /proc).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_OPTIONS } from "../../src/server/v8-defaults.js";
import { grpcCheck, grpcHealthClient } from "./grpc-clients.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
let dataDir: string;
let npm: ChildProcess;
let port: number;
let serverPid: number;
let output = "";

/** pid -> parent pid, for every process now (Linux /proc). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      out.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Every process below `pid`, with its command line. */
function descendants(pid: number): { pid: number; argv: string[] }[] {
  const tree = parents();
  const below = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of tree)
      if (below.has(parent) && !below.has(child)) {
        below.add(child);
        grew = true;
      }
  }
  below.delete(pid);
  return [...below].flatMap((p) => {
    try {
      return [{ pid: p, argv: fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").filter(Boolean) }];
    } catch {
      return [];
    }
  });
}

/** Still running: present and not a zombie awaiting its reaper. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe.skipIf(!fs.existsSync("/proc/self/stat"))("npm start", () => {
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-npm-start-"));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", MEMORIC_ADMIN_PORT: "0" };
    env.MEMORIC_DATA_DIR = dataDir;
    delete env.DATABASE_URL;
    // Its own process group, so that the whole tree (npm, sh, node) gets the signal a terminal would send.
    npm = spawn("npm", ["start"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not serve:\n${output}`)), 90_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /"port":(\d+),.*"database":"embedded".*"msg":"memoric listening"/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      npm.stdout!.on("data", onData);
      npm.stderr!.on("data", onData);
      npm.once("exit", (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
    });
  }, 120_000);

  afterAll(() => {
    if (npm.exitCode === null && npm.signalCode === null) process.kill(-npm.pid!, "SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves gRPC on the embedded database, from one node process with the server's node options", async () => {
    const client = grpcHealthClient(port);
    try {
      expect(await grpcCheck(client, "")).toBe("SERVING");
    } finally {
      client.close();
    }
    const nodes = descendants(npm.pid!).filter(({ argv }) => path.basename(argv[0]!) === "node");
    expect(nodes).toHaveLength(1);
    const [{ pid, argv }] = nodes as [{ pid: number; argv: string[] }];
    expect(argv.slice(1, 1 + NODE_OPTIONS.length)).toEqual([...NODE_OPTIONS]);
    expect(argv.at(-1)).toBe("src/main.ts");
    serverPid = pid;
  }, 30_000);

  it("stops cleanly on Ctrl-C (SIGINT to the terminal's process group)", async () => {
    const npmExited = new Promise((resolve) => npm.once("exit", resolve));
    process.kill(-npm.pid!, "SIGINT");
    await npmExited;
    // The server drains, closes the embedded database and logs its stop (npm's own status is npm's).
    const until = Date.now() + 20_000;
    while (running(serverPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(running(serverPid)).toBe(false);
    expect(output).toContain('"msg":"memoric stopped"');
  }, 30_000);
});
