/**
 * The network-outage step of the client scenario for a client in another process: a proxy in front
 * of the server resets every connection; the client (started with `outageUrl`) creates one memory
 * with retries; once the proxy has seen the client's first connection it forwards again. Afterwards
 * the account holds exactly one copy of that memory.
 */
import { createClient } from "@connectrpc/connect";
import { expect } from "vitest";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import type { ClientFixture } from "./client-harness.js";
import { bearerTransport } from "./identity.js";
import type { TestServer } from "./server.js";
import { startTcpProxy } from "./tcp-proxy.js";

export async function checkOutageRetried(
  server: TestServer,
  fx: ClientFixture,
  tag: string,
  runClient: (params: object) => Promise<{ attempts: number; id: string }>,
): Promise<void> {
  const url = new URL(server.url);
  const proxy = await startTcpProxy(url.hostname, Number(url.port));
  try {
    proxy.reset();
    const before = proxy.accepted;
    const result = runClient({ outageUrl: `http://127.0.0.1:${proxy.port}`, auth: { api_key: fx.apiKey }, tag });
    const deadline = Date.now() + 30_000;
    while (proxy.accepted === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await proxy.restore();
    const report = await result;
    expect(report.attempts).toBeGreaterThanOrEqual(2);
    const memories = createClient(MemoryService, bearerTransport(server, fx.apiKey));
    const { memories: page } = await memories.listMemories({ pageSize: 500 });
    const copies = page.filter((m) => m.content === `${tag} written during an outage`).map((m) => m.id);
    expect(copies).toEqual([report.id]);
  } finally {
    await proxy.close();
  }
}
