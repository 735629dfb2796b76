/**
 * Spec: operators see the server without credentials or proto files — on the admin listener
 * (MEMORIC_ADMIN_PORT), never the public port: Prometheus metrics with the standard gRPC names
 * plus the service's own (nothing user-identifying in them, and clean under `promtool check
 * metrics`), detailed health; and server reflection listing every served service on the real
 * server, v1 and v1alpha.
 *
 * The promtool check needs Debian's `prometheus` package (installed by .ci/run). Without it the
 * check is skipped with a warning — unless MEMORIC_REQUIRE_INTEROP=1 (set by .ci/run), where it
 * fails instead, so CI can never skip it silently.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { admin, anonymous, registerAndLogin, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PATH_DIRS = (process.env.PATH ?? "").split(path.delimiter);
const PROMTOOL = ["/usr/bin/promtool", ...PATH_DIRS.map((d) => path.join(d, "promtool"))].find((p) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
});
const REQUIRE_PROMTOOL = process.env.MEMORIC_REQUIRE_INTEROP === "1";
if (!PROMTOOL && !REQUIRE_PROMTOOL) {
  console.warn("observability.test.ts: promtool not found, skipping its check (apt-get install prometheus)");
}

let server: TestServer;
beforeAll(async () => {
  // A small anonymous budget and a two-failure lock, so one test run sees a rejection and a lockout.
  server = await startTestServer({ MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "14", MEMORIC_LOGIN_MAX_FAILURES: "2" });
});
afterAll(async () => {
  await server.close();
});

function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL!, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** Every `name{labels} value` sample line of an exposition, labels parsed. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const hit = samples(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit?.value;
}

describe("admin listener", () => {
  it("serves /metrics and /health/detailed; the public port answers 404 for both", async () => {
    expect(server.adminPort).toBeGreaterThan(0);
    expect(server.adminPort).not.toBe(server.port);
    const metrics = await fetch(`${server.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain("grpc_server_started_total");
    const detailed = await fetch(`${server.adminUrl}/health/detailed`);
    expect(detailed.status).toBe(200);
    expect(await detailed.json()).toMatchObject({ checks: { database: { status: expect.stringMatching(/ok|warn/) } } });

    for (const p of ["/metrics", "/health/detailed"]) {
      const res = await fetch(`${server.url}${p}`);
      await res.arrayBuffer();
      expect(res.status, p).toBe(404);
    }
    // The public probes stay where they were.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it("serves no RPCs", async () => {
    const res = await fetch(`${server.adminUrl}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await res.arrayBuffer();
    expect(res.status).toBe(404);
  });

  it("is closed by stop(), with the public listener", async () => {
    const other = await startTestServer({ MEMORIC_ADMIN_HOST: "127.0.0.1" });
    // A scrape leaves a keep-alive connection open: it must not hold stop() up.
    expect((await fetch(`${other.adminUrl}/metrics`)).status).toBe(200);
    await other.close();
    await expect(fetch(`${other.adminUrl}/metrics`)).rejects.toThrow();
  });

  it("is not started with MEMORIC_ADMIN_PORT=off", async () => {
    const other = await startTestServer({ MEMORIC_ADMIN_PORT: "off" });
    try {
      expect(other.adminPort).toBeUndefined();
      expect(other.adminUrl).toBeUndefined();
      expect((await fetch(`${other.url}/metrics`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe("/metrics after traffic", () => {
  const canary = "canary-user-7f3a";
  let alice: TestUser;
  let root: TestUser;
  let text: string;

  beforeAll(async () => {
    [alice, root] = await Promise.all([registerAndLogin(server), admin(server)]);
    const auth = anonymous(server);
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => ConnectError.from(e).code,
      );
    // Connect JSON over HTTP/1.1 for an unknown user, then two wrong passwords: alice's account locks.
    const json = createClient(AuthService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    expect(await fail(json.login({ username: canary, password: "wrong password for canary" }))).toBe(
      Code.Unauthenticated,
    );
    for (let i = 0; i < 2; i++) {
      const wrong = auth.login({ username: alice.username, password: "not alice's password" });
      expect(await fail(wrong)).toBe(Code.Unauthenticated);
    }
    expect(await fail(auth.login({ username: alice.username, password: alice.password }))).toBe(Code.ResourceExhausted);
    // Unary and server-streaming calls.
    const mem = alice.client(MemoryService);
    await mem.createMemory({ content: "Planted tomatoes along the south fence" });
    await mem.createMemory({ content: "Basil next to the tomatoes" });
    let exported = 0;
    for await (const _ of mem.exportMemories({})) exported++;
    expect(exported).toBe(2);
    await root.client(MemoryService).runPolicies({ dryRun: true });
    // Spend the anonymous budget until the RPC rate limit answers.
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) limited = (await fail(auth.login({}))) === Code.ResourceExhausted;
    expect(limited).toBe(true);
    text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  });

  it("counts RPCs by service, method and code with the standard names", () => {
    const login = { grpc_type: "unary", grpc_service: "memoric.v1.AuthService", grpc_method: "Login" };
    expect(value(text, "grpc_server_handled_total", { ...login, grpc_code: "Unauthenticated" })).toBe(3);
    expect(value(text, "grpc_server_handled_total", { grpc_method: "CreateMemory", grpc_code: "OK" })).toBe(2);
    expect(text).toContain("grpc_server_handling_seconds_bucket");
    expect(text).toContain("grpc_server_started_total");
  });

  it("counts messages: one each way per unary call, every message of a stream", () => {
    const service = "memoric.v1.MemoryService";
    const createMemory = { grpc_type: "unary", grpc_service: service, grpc_method: "CreateMemory" };
    expect(value(text, "grpc_server_msg_received_total", createMemory)).toBe(2);
    expect(value(text, "grpc_server_msg_sent_total", createMemory)).toBe(2);
    const exportMemories = { grpc_type: "server_stream", grpc_service: service, grpc_method: "ExportMemories" };
    expect(value(text, "grpc_server_msg_received_total", exportMemories)).toBe(1);
    expect(value(text, "grpc_server_msg_sent_total", exportMemories)).toBe(2);
    expect(value(text, "grpc_server_handled_total", { ...exportMemories, grpc_code: "OK" })).toBe(1);
  });

  it("records login failures by reason, the lockout, rate-limit rejections, audit appends and the policy run", () => {
    expect(value(text, "memoric_auth_login_failures_total", { reason: "unknown_user" })).toBe(1);
    expect(value(text, "memoric_auth_login_failures_total", { reason: "wrong_password" })).toBe(2);
    expect(value(text, "memoric_auth_login_failures_total", { reason: "throttled" })).toBe(1);
    expect(value(text, "memoric_auth_lockouts_total", { scope: "account" })).toBe(1);
    expect(value(text, "memoric_rate_limit_rejections_total", { scope: "login_account" })).toBe(1);
    expect(value(text, "memoric_rate_limit_rejections_total", { scope: "rpc_anonymous" })).toBeGreaterThanOrEqual(1);
    for (const mode of ["transaction", "batch"]) {
      expect(value(text, "memoric_audit_append_seconds_count", { mode, outcome: "ok" })).toBeGreaterThan(0);
    }
    expect(value(text, "memoric_policy_runs_total", { outcome: "dry_run" })).toBe(1);
    expect(value(text, "memoric_policy_run_duration_seconds_count", {})).toBe(1);
    // Declared even before the first failure, so dashboards and alerts find the series.
    expect(text).toContain("# TYPE memoric_decryption_failures_total counter");
  });

  it("carries no user id, username or address, and only labels from fixed sets", () => {
    const identifiers = [canary, alice.username, alice.userId, root.username, root.userId, "127.0.0.1"];
    for (const id of identifiers) expect(text).not.toContain(id);
    const labelNames = new Set(samples(text).flatMap((s) => Object.keys(s.labels)));
    // grpc_*: the standard gRPC labels; the rest: histogram buckets, our fixed sets, Node.js runtime metrics.
    const allowed = ["grpc_type", "grpc_service", "grpc_method", "grpc_code", "le", "mode", "outcome", "reason"].concat(
      ["scope", "what", "kind", "space", "type", "version", "major", "minor", "patch"],
    );
    expect([...labelNames].filter((n) => !allowed.includes(n))).toEqual([]);
  });

  it.skipIf(!PROMTOOL && !REQUIRE_PROMTOOL)("passes `promtool check metrics` without a lint warning", async () => {
    expect(PROMTOOL, "promtool is required (MEMORIC_REQUIRE_INTEROP=1): apt-get install prometheus").toBeDefined();
    const { code, output } = await promtoolCheck(text);
    expect(output).toBe("");
    expect(code).toBe(0);
  });
});

describe("server reflection on the real server", () => {
  for (const version of ["v1", "v1alpha"] as const) {
    it(`lists every served service (${version})`, async () => {
      const def = protoLoader.loadSync(path.join(ROOT, `proto/grpc/reflection/${version}/reflection.proto`), {
        keepCase: true,
      });
      const pkg = grpc.loadPackageDefinition(def) as unknown as {
        grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
      };
      const Client = pkg.grpc.reflection[version]!.ServerReflection;
      const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
      try {
        const call = client.ServerReflectionInfo!() as grpc.ClientDuplexStream<
          unknown,
          { list_services_response?: { service: { name: string }[] } }
        >;
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
          "memoric.v1.EndUserService",
          "memoric.v1.MemoryService",
        ]);
      } finally {
        client.close();
      }
    });
  }
});
