/**
 * The server under load runs in a process of its own (`node --import tsx src/main.ts`), so the load
 * generator's CPU is not the server's: what a client sees, not what a function call costs. Each
 * server gets a fresh database (DATABASE_URL's server when set, else the embedded PGlite).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { NODE_OPTIONS } from "../src/server/v8-defaults.js";
import { createTestDatabase, type TestDatabase } from "../test/support/database.js";
import { testSecretsEnv } from "../test/support/secrets.js";

export interface ServerProcess {
  url: string;
  port: number;
  adminUrl: string;
  pid: number;
  db: TestDatabase;
  env: Record<string, string>;
  /** Resident set size now (MB), from /proc. */
  rssMb(): number;
  /** The server's Prometheus text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready after 60 s: ${stderr()}`);
}

/** `profileDir`: run under --cpu-prof, the profile written there when the server stops. */
/** Starts a server on a fresh database, or on `shared` (a replica: the caller drops it, not stop()). */
export async function startServerProcess(
  env: Record<string, string>,
  profileDir?: string,
  shared?: TestDatabase,
): Promise<ServerProcess> {
  const db = shared ?? (await createTestDatabase());
  const [port, adminPort] = [await freePort(), await freePort()];
  const fullEnv: Record<string, string> = {
    PORT: String(port),
    HOST: "127.0.0.1",
    MEMORIC_ADMIN_PORT: String(adminPort),
    MEMORIC_DATA_DIR: db.dataDir,
    LOG_LEVEL: "warn",
    ...(await testSecretsEnv()),
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    ...env,
  };
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...NODE_OPTIONS, ...profile, "--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", ...fullEnv },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err = (err + d.toString("utf8")).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitReady(url, child, () => err);
  return {
    url,
    port,
    adminUrl,
    pid: child.pid!,
    db,
    env: fullEnv,
    rssMb() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      return kb / 1024;
    },
    async metrics() {
      return (await fetch(`${adminUrl}/metrics`)).text();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (!shared) await db.drop();
    },
  };
}

/** grpc_server_handled_total per code for one method, from the server's own metrics. */
export async function handledByCode(server: ServerProcess, service: string, method: string) {
  const text = await server.metrics();
  const out = new Map<string, number>();
  const re = /^grpc_server_handled_total\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(re)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.grpc_service !== service || labels.grpc_method !== method) continue;
    out.set(labels.grpc_code!, (out.get(labels.grpc_code!) ?? 0) + Number(m[2]));
  }
  return out;
}
