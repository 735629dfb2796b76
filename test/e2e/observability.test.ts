/**
 * Spec: operators see the server without credentials or proto files — Prometheus metrics with the
 * standard gRPC names (and nothing user-identifying in them), and server reflection listing every
 * served service on the real server, v1 and v1alpha.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe("/metrics", () => {
  it("counts RPCs by service, method and code with the standard names, and leaks no identifiers", async () => {
    const canary = "canary-user-7f3a";
    await fetch(`${server.url}/memoric.v1.AuthService/Login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: canary, password: "wrong password for canary" }),
    });
    await fetch(`${server.url}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/grpc_server_handled_total\{grpc_type="unary",grpc_service="memoric\.v1\.AuthService",grpc_method="Login",grpc_code="Unauthenticated"\} 1/);
    expect(text).toMatch(/grpc_server_handled_total\{grpc_type="unary",grpc_service="grpc\.health\.v1\.Health",grpc_method="Check",grpc_code="OK"\} \d+/);
    expect(text).toContain("grpc_server_handling_seconds_bucket");
    expect(text).toContain("grpc_server_started_total");
    expect(text).not.toContain(canary);
  });
});

describe("server reflection on the real server", () => {
  for (const version of ["v1", "v1alpha"] as const) {
    it(`lists every served service (${version})`, async () => {
      const def = protoLoader.loadSync(path.join(ROOT, `proto/grpc/reflection/${version}/reflection.proto`), { keepCase: true });
      const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> } };
      const Client = pkg.grpc.reflection[version]!.ServerReflection;
      const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
      try {
        const call = client.ServerReflectionInfo!() as grpc.ClientDuplexStream<unknown, { list_services_response?: { service: { name: string }[] } }>;
        const answer = new Promise<{ list_services_response?: { service: { name: string }[] } }>((resolve, reject) => {
          call.once("data", resolve);
          call.once("error", reject);
        });
        call.write({ host: "", list_services: "" });
        const names = (await answer).list_services_response!.service.map((s) => s.name).sort();
        call.end();
        expect(names).toEqual([
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "memoric.v1.AuditService",
          "memoric.v1.AuthService",
          "memoric.v1.MemoryService",
        ]);
      } finally {
        client.close();
      }
    });
  }
});
