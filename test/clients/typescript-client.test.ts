/**
 * Spec: @memoric/client (clients/typescript) runs the client scenario (scenario.ts) against the real
 * server over Connect, gRPC and gRPC-Web, logged in with a password and with an API key; a create
 * during a real network outage (a proxy refusing connections) is retried and stored once; the paged
 * and streamed iterators and the deadline default work.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoricClient, MemoricError } from "../../clients/typescript/src/index.js";
import { type ClientFixture, clientFixture, expiredSession, runTag } from "../support/client-harness.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { checkScenarioReport } from "./report.js";
import { runScenario } from "./scenario.js";

let server: TestServer;
let fx: ClientFixture;

beforeAll(async () => {
  server = await startTestServer();
  fx = await clientFixture(server);
});
afterAll(async () => {
  await server?.close();
});

describe("the TypeScript client scenario", () => {
  for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
    it(`over ${protocol}, logged in with a password`, async () => {
      const tag = runTag();
      const report = await runScenario(createMemoricClient, {
        baseUrl: server.url,
        protocol,
        auth: { username: fx.username, password: fx.password },
        tag,
        endUsers: fx.endUsers,
        expired: await expiredSession(server, fx.username),
      });
      checkScenarioReport(report, tag, "user");
    }, 90_000);
  }

  it("over connect, with an API key", async () => {
    const tag = runTag();
    const report = await runScenario(createMemoricClient, {
      baseUrl: server.url,
      protocol: "connect",
      auth: { apiKey: fx.apiKey },
      tag,
      endUsers: fx.endUsers,
      expired: await expiredSession(server, fx.username),
    });
    checkScenarioReport(report, tag, "api_key");
  }, 90_000);
});

describe("the TypeScript client's behaviours", () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const url = new URL(server.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port));
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it("retries a create through a network outage (connections refused) and stores it once", async () => {
    const client = createMemoricClient({
      baseUrl: `http://127.0.0.1:${proxy.port}`,
      auth: { apiKey: fx.apiKey },
      retry: { maxAttempts: 8, initialBackoffMs: 100, maxBackoffMs: 400 },
    });
    await client.auth.getCurrentUser({});
    const content = `${runTag()} written during an outage`;
    await proxy.refuse({ closeExisting: true });
    const restoring = new Promise((r) => setTimeout(r, 500)).then(() => proxy.restore());
    const { memory } = await client.memories.createMemory({ content });
    await restoring;
    const direct = createMemoricClient({ baseUrl: server.url, auth: { apiKey: fx.apiKey } });
    const matches = [];
    for await (const m of direct.memories.listAll({ pageSize: 100 })) if (m.content === content) matches.push(m.id);
    expect(matches).toEqual([memory!.id]);
  });

  it("does not retry what cannot succeed, and exposes the error's details", async () => {
    const client = createMemoricClient({ baseUrl: server.url, auth: { apiKey: "mk_not_a_real_key" } });
    const err = await client.memories.listMemories({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoricError);
    expect((err as MemoricError).code).toBe(Code.Unauthenticated);
    expect((err as MemoricError).reason).toBe("CREDENTIAL_INVALID");
  });

  it("applies the default deadline to calls that set none", async () => {
    const client = createMemoricClient({ baseUrl: `http://127.0.0.1:${proxy.port}`, timeoutMs: 300 });
    proxy.blackhole();
    try {
      const err = await client.auth.login({ username: "x", password: "y" }).catch((e: unknown) => e);
      expect((err as MemoricError).code).toBe(Code.DeadlineExceeded);
    } finally {
      await proxy.restore();
    }
  });
});
