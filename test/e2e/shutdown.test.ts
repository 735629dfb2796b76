/**
 * Spec: SIGTERM drains. Health goes NOT_SERVING, the listener stops accepting, a call in flight
 * completes, Watch streams end cleanly, and the process exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { testSecretsEnv } from "../support/secrets.js";
import { grpcHealthClient } from "./grpc-clients.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
let db: TestDatabase;
let child: ChildProcess;
let port: number;
let output = "";

beforeAll(async () => {
  db = await createTestDatabase();
  child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      MEMORIC_ADMIN_PORT: "0",
      MEMORIC_DATA_DIR: db.dataDir,
      MEMORIC_SHUTDOWN_GRACE_MS: "8000",
      ...(await testSecretsEnv()),
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { DATABASE_URL: "" }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  port = await new Promise<number>((resolve, reject) => {
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
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill("SIGKILL");
  await db.drop();
});

it("finishes the call in flight, ends Watch streams, refuses new connections and exits 0", async () => {
  // A Watch stream over HTTP/2 (grpc-js).
  const client = grpcHealthClient(port);
  const watch = client.watch({ service: "" });
  const watched: unknown[] = [];
  const watchEnded = new Promise<{ code: number }>((resolve) => {
    watch.on("data", (m: { status: string }) => watched.push(m.status));
    watch.on("status", resolve);
    watch.on("error", () => {});
  });
  await new Promise((r) => setTimeout(r, 300));

  // A unary Connect call over HTTP/1.1 whose body is only half sent when SIGTERM arrives.
  const body = JSON.stringify({ service: "" });
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  let answer = "";
  socket.on("data", (d) => (answer += d.toString()));
  const answered = new Promise((r) => socket.once("close", r));
  socket.write(
    `POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
      body.slice(0, 5),
  );
  await new Promise((r) => setTimeout(r, 200));

  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  // The signal is handled once the process logs it (a fixed pause is a race on a loaded machine).
  const deadline = Date.now() + 10_000;
  while (!output.includes('"msg":"shutting down"') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  expect(output).toContain('"msg":"shutting down"');

  // New connections are refused while the in-flight call is still open.
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
  expect(refused).toBe(true);

  socket.write(body.slice(5));
  await answered;
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
  expect(answer).toContain('"status":"NOT_SERVING"');

  const status = await watchEnded;
  expect(status.code).toBe(0); // the stream ended OK, not cut
  expect(watched).toEqual(["SERVING", "NOT_SERVING"]);
  client.close();

  expect(await exited).toBe(0);
  expect(output).toContain("memoric stopped");
}, 30_000);
