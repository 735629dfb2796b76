/**
 * Spec: the edges of the one port. Oversized messages are refused with ResourceExhausted; CORS
 * grants only allow-listed origins; odd protocol mixes (gRPC over HTTP/1.1, garbage bytes) get an
 * answer or a closed socket, never a crash; reflection answers on the real server.
 */
import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { grpcCheck, grpcHealthClient } from "./grpc-clients.js";

const ALLOWED = "https://app.example.com";
/** Short, so a stalled connection's fate is seen within the test. */
const HEADERS_TIMEOUT_MS = 1_000;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    MEMORIC_CORS_ORIGINS: ALLOWED,
    MEMORIC_MAX_MESSAGE_BYTES: "4096",
    MEMORIC_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
  });
});
afterAll(async () => {
  await server.close();
});

describe("message size limit", () => {
  it("answers ResourceExhausted over gRPC (HTTP/2)", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const err = await client.check({ service: "x".repeat(10_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
  });

  it("answers ResourceExhausted over Connect (HTTP/1.1)", async () => {
    const client = createClient(Health, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    const err = await client.check({ service: "x".repeat(10_000) }).catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
  });

  it("still serves normal-sized calls afterwards", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    await expect(client.check({ service: "" })).resolves.toBeDefined();
  });
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,connect-protocol-version,authorization",
      },
    });

  it("grants a preflight from an allowed origin with connect's header lists", async () => {
    const res = await preflight(ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowHeaders = res.headers.get("access-control-allow-headers")?.toLowerCase() ?? "";
    for (const h of ["content-type", "connect-protocol-version", "authorization"]) expect(allowHeaders).toContain(h);
  });

  it("grants nothing to another origin", async () => {
    const res = await preflight("https://evil.example.net");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it("lists the allowed origins at start-up", () => {
    const lines = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.msg === "CORS: allowed origins");
    expect(line).toMatchObject({ level: 30, origins: [ALLOWED] });
  });

  it("logs a refused preflight at debug with its origin, method and path, and nothing of its headers", async () => {
    const origin = "https://refused-7c1d.example.net";
    await (await preflight(origin)).arrayBuffer();
    const refused = server.logs.filter((l) => l.includes(origin)).map((l) => JSON.parse(l) as Record<string, unknown>);
    const msg = "CORS: preflight refused, origin not allowed";
    const path = "/grpc.health.v1.Health/Check";
    expect(refused).toEqual([expect.objectContaining({ level: 20, msg, origin, method: "POST", path })]);
    expect(JSON.stringify(refused)).not.toContain("connect-protocol-version");
    // An allowed origin's preflight is not a refusal.
    await (await preflight(ALLOWED)).arrayBuffer();
    expect(server.logs.filter((l) => l.includes("preflight refused") && l.includes(ALLOWED))).toEqual([]);
  });

  it("exposes the gRPC/Connect response headers on a real cross-origin call", async () => {
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { Origin: ALLOWED, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
  });
});

/** Writes the payload, then waits for the server to close the connection (or gives up after giveUpMs). */
function rawExchange(port: number, payload: Buffer | string, giveUpMs = 1500) {
  return new Promise<{ answer: string; closedByServer: boolean }>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    let gaveUp = false;
    socket.on("data", (d) => (answer += d.toString("latin1")));
    socket.on("close", () => resolve({ answer, closedByServer: !gaveUp }));
    socket.on("error", () => undefined); // a reset also ends in "close"
    socket.write(payload);
    setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, giveUpMs);
  });
}

describe("protocol mixes do not crash anything", () => {
  it("gRPC framing over HTTP/1.1 to a gRPC path gets an HTTP answer", async () => {
    const body = Buffer.from([0, 0, 0, 0, 0]); // an empty gRPC-framed message
    const head =
      `POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc\r\n` +
      `TE: trailers\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const { answer } = await rawExchange(server.port, Buffer.concat([Buffer.from(head), body]));
    expect(answer).toMatch(/^HTTP\/1\.1 \d{3}/);
  });

  it("garbage bytes get a 400 and a closed connection", async () => {
    const garbage = await rawExchange(server.port, "\x00\x01\x02 not http at all\r\n\r\n");
    expect(garbage).toEqual({ answer: expect.stringMatching(/^HTTP\/1\.1 400 /), closedByServer: true });
  });

  it("a truncated HTTP/2 preface or unfinished headers are dropped once the headers timeout passes", async () => {
    // The server's timeout checks run about once a second on top of the timeout itself.
    const giveUpMs = HEADERS_TIMEOUT_MS + 3_000;
    const [preface, headers] = await Promise.all([
      rawExchange(server.port, "PRI * HTTP/2.0\r\n", giveUpMs),
      rawExchange(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n", giveUpMs), // never finishes its headers
    ]);
    expect(preface).toEqual({ answer: "", closedByServer: true });
    expect(headers.closedByServer).toBe(true);
    expect(headers.answer).not.toMatch(/^HTTP\/1\.1 2/); // never served
  });

  it("the server is still healthy afterwards", async () => {
    const client = grpcHealthClient(server.port);
    try {
      expect(await grpcCheck(client, "")).toBe("SERVING");
    } finally {
      client.close();
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
