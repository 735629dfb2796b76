/**
 * Spec: one port serves the same health Check to every kind of client — grpc-js (with
 * grpc-health-check's own service definition), connect-node's gRPC transport, and Connect JSON
 * over HTTP/1.1 as a browser's Connect-Web would send it. (Python grpcio: python-client.test.ts.)
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { SERVICE_VERSION } from "../../src/version.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { grpcCheck, grpcHealthClient } from "./grpc-clients.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const NAMES = [
  "",
  "liveness",
  "readiness",
  "memoric.v1.MemoryService",
  "memoric.v1.AuthService",
  "memoric.v1.AuditService",
  "memoric.v1.EndUserService",
  "grpc.health.v1.Health",
];

describe("health Check from four clients on one port", () => {
  it("grpc-js with grpc-health-check's client definition", async () => {
    const client = grpcHealthClient(server.port);
    try {
      for (const name of NAMES) expect(await grpcCheck(client, name)).toBe("SERVING");
      await expect(grpcCheck(client, "no.such.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    } finally {
      client.close();
    }
  });

  it("connect-node's gRPC transport (HTTP/2)", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    for (const name of NAMES) {
      expect((await client.check({ service: name })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
    const listed = await client.list({});
    expect(Object.keys(listed.statuses).sort()).toEqual([...NAMES].sort());
  });

  it("Connect JSON over HTTP/1.1 via fetch, as Connect-Web does", async () => {
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "readiness" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "SERVING" });
    expect(res.headers.get("x-request-id")).toBeTruthy();

    const unknown = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "nope" }),
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "not_found" });
  });

  it("Watch on an unknown service answers SERVICE_UNKNOWN and keeps the stream open", async () => {
    const client = grpcHealthClient(server.port);
    const call = client.watch({ service: "not.registered" });
    const first = await new Promise<{ status: string | number }>((resolve, reject) => {
      call.once("data", resolve);
      call.once("error", reject);
    });
    expect(first.status).toBe("SERVICE_UNKNOWN");
    call.cancel();
    client.close();
  });

  it("application RPCs on the same port answer with typed errors", async () => {
    const res = await fetch(`${server.url}/memoric.v1.AuthService/Login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await res.json()).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("username") });
  });

  it("plain HTTP probes answer", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const detailed = (await (await fetch(`${server.adminUrl}/health/detailed`)).json()) as {
      status: string;
      version: string;
      uptimeSeconds: number;
      checks: Record<string, { status: string; latencyMs?: number }>;
    };
    expect(detailed.status).not.toBe("fail");
    expect(detailed.version).toBe(SERVICE_VERSION);
    expect(detailed.checks.database?.status).toMatch(/ok|warn/);
    expect(detailed.checks.database?.latencyMs).toBeGreaterThanOrEqual(0);
    for (const key of ["memory", "disk", "cpu"]) expect(detailed.checks[key]?.status).toMatch(/ok|warn/);
    expect(detailed.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});
