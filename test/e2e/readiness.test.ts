/**
 * Spec: readiness (and every service entry) follows the database. When the database becomes
 * unreachable, a Watch stream sees NOT_SERVING within a few seconds; when it returns, SERVING —
 * with no restart. Liveness stays SERVING throughout (a restart would not fix the database).
 */
import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { grpcCheck, grpcHealthClient } from "./grpc-clients.js";

let db: TestDatabase;
let proxy: TcpProxy;
let server: TestServer;
let embedded: { pglite: PGlite; socket: PGLiteSocketServer } | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  let target: URL;
  if (db.databaseUrl) {
    target = new URL(db.databaseUrl);
  } else {
    // Embedded mode: a PGlite served on a socket of the test's own, so the proxy can sit in front of it.
    const { PGlite } = await import("@electric-sql/pglite");
    const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
    const pglite = await PGlite.create();
    const socket = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port: 0 });
    await socket.start();
    embedded = { pglite, socket };
    target = new URL(`postgres://postgres@${socket.getServerConn()}/postgres`);
  }
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(target);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  server = await startTestServer(
    { DATABASE_URL: viaProxy.toString(), ...(embedded ? { MEMORIC_DB_POOL_MAX: "1" } : {}) },
    db,
  );
});

afterAll(async () => {
  await server?.close();
  await proxy?.close();
  if (embedded) {
    await embedded.socket.stop();
    await embedded.pglite.close();
  }
  await db?.drop();
});

function nextStatus(call: NodeJS.EventEmitter, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no status change within ${timeoutMs} ms`)), timeoutMs);
    call.once("data", (msg: { status: string }) => {
      clearTimeout(timer);
      resolve(msg.status);
    });
  });
}

it("flips readiness with the database, observed through a Watch stream", async () => {
  const client = grpcHealthClient(server.port);
  const call = client.watch({ service: "readiness" });
  call.on("error", () => {}); // the final cancel() surfaces as a CANCELLED error
  try {
    expect(await nextStatus(call, 5000)).toBe("SERVING");

    await proxy.cut();
    expect(await nextStatus(call, 5000)).toBe("NOT_SERVING");
    expect(await grpcCheck(client, "memoric.v1.MemoryService")).toBe("NOT_SERVING");
    expect(await grpcCheck(client, "liveness")).toBe("SERVING");
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await proxy.restore();
    expect(await nextStatus(call, 8000)).toBe("SERVING");
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  } catch (err) {
    console.log(server.logs.slice(-30).join("\n"));
    throw err;
  } finally {
    call.cancel();
    client.close();
  }
});
