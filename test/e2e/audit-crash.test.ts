/**
 * Spec: read audit rows are group-committed (store/audit-batch.ts), and a read is answered only once
 * its row has committed. A server process killed with SIGKILL while batches are in flight loses no
 * row of an answered read, and the chain still verifies (a batch is one statement: all or nothing).
 */
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { verifyAuditLog } from "../../src/store/audit-verify.js";
import { SYSTEM } from "../../src/store/tx.js";
import { createTestDatabase, testMode, type TestDatabase } from "../support/database.js";
import { testSecretsEnv } from "../support/secrets.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
let db: TestDatabase;
let child: ChildProcess;
let url: string;
let output = "";

beforeAll(async () => {
  db = await createTestDatabase();
  child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      MEMORIC_ADMIN_PORT: "off",
      MEMORIC_DATA_DIR: db.dataDir,
      MEMORIC_BCRYPT_COST: "10",
      MEMORIC_RATE_LIMIT_RPC: "1000000",
      MEMORIC_AUDIT_BATCH_BOUND_MS: "30000",
      ...(await testSecretsEnv()),
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { DATABASE_URL: "" }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 45_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /"port":(\d+),.*"msg":"memoric listening"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  });
  url = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await db?.drop();
});

it.skipIf(testMode === "embedded")(
  "after kill -9 mid-batch, every answered read has its audit row and the chain verifies",
  async () => {
    const auth = createClient(AuthService, createGrpcTransport({ baseUrl: url }));
    const username = `u${crypto.randomBytes(5).toString("hex")}`;
    const password = "correct horse battery staple 42";
    await auth.register({ username, email: `${username}@example.com`, password, fullName: "" });
    const { accessToken } = await auth.login({ username, password });
    const withToken: Interceptor = (next) => (req) => {
      req.header.set("authorization", `Bearer ${accessToken}`);
      return next(req);
    };
    const me = createClient(AuthService, createGrpcTransport({ baseUrl: url, interceptors: [withToken] }));

    const answered: string[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const requestId = crypto.randomUUID();
        try {
          await me.getCurrentUser({}, { headers: { "x-request-id": requestId } });
          answered.push(requestId);
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = Array.from({ length: 32 }, worker);
    while (answered.length < 300) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL"); // batches are in flight: 32 callers keep the queue busy
    stop = true;
    await Promise.all(workers);
    expect(answered.length).toBeGreaterThanOrEqual(300);

    const sql = postgres(db.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ request_id: string }[]>`
        select request_id from audit_log where event_type = 'user.retrieved'`;
      const recorded = new Set(rows.map((r) => r.request_id));
      expect(answered.filter((id) => !recorded.has(id))).toEqual([]);
      const key = (await testSecretsEnv()).MEMORIC_AUDIT_SIGNING_KEY!;
      const result = await verifyAuditLog(sql, SYSTEM, Buffer.from(key.replace(/^base64:/, ""), "base64"));
      expect(result.ok).toBe(true);
    } finally {
      await sql.end();
    }
  },
  60_000,
);
