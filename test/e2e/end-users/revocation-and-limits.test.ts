/**
 * Spec: a delegated token dies within 1 s of each of the three ways to end it — DeleteEndUser of its
 * end user, RevokeEndUserTokens, and revoking the API key that issued it — while other tokens live on;
 * on PostgreSQL also on a second replica that had the token's state cached (the revocation cache bound);
 * and a delegated token spends its end user's own budget (MEMORIC_RATE_LIMIT_END_USER_RPC): past it,
 * ResourceExhausted with retry-after, while the account's own calls and other end users' tokens pass.
 */
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import { createTestDatabase, testMode, type TestDatabase } from "../../support/database.js";
import { caller, codeOf, delegate, errorOf, serviceAccount, type ServiceAccount } from "../../support/end-users.js";
import { admin } from "../../support/identity.js";
import { startTestServer, type TestServer } from "../../support/server.js";

const BOUND_MS = 1000;
const POLL_MS = 50;
const GIVE_UP_MS = 1500;
const stoppedAfter: Record<string, number> = {};

/** Calls `probe` every 50 ms until it fails Unauthenticated (up to 1.5 s); returns the ms it took. */
async function msUntilRefused(probe: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (;;) {
    const code = await codeOf(probe());
    const elapsed = performance.now() - started;
    if (code === Code.Unauthenticated) return elapsed;
    expect(code, "the token either works or is refused as unauthenticated").toBeUndefined();
    if (elapsed > GIVE_UP_MS) throw new Error(`the token still worked ${Math.round(elapsed)} ms after revocation`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

describe(`revoking delegated tokens (${testMode})`, () => {
  let db: TestDatabase;
  let server: TestServer;
  /** A second server on the same database (PostgreSQL only): learns of revocations through its cache bound. */
  let replica: TestServer | undefined;
  let backend: ServiceAccount;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "100000" }, db);
    if (testMode === "postgres") replica = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "100000" }, db);
    backend = await serviceAccount(server, await admin(server));
  });
  afterAll(async () => {
    console.info(`[delegated token stopped after, ms, ${testMode}] ${JSON.stringify(stoppedAfter)}`);
    await replica?.stop();
    await server?.stop();
    await db?.drop();
  });

  /** A token that has worked on every server (so each has its state cached), as one client per server. */
  async function liveToken(endUserId: string, issuer = backend.credential) {
    const { credential } = await delegate(server, caller(server, issuer), endUserId);
    const clients = [server, ...(replica ? [replica] : [])].map((s) => caller(s, credential).client(MemoryService));
    await clients[0]!.createMemory({ content: `a memory of ${endUserId}` });
    for (const c of clients) await c.listMemories({});
    return { token: clients[0]!, everywhere: clients };
  }

  /** Records how long each server took to refuse the token; this one within the bound, replicas within 1.5 s. */
  async function expectStops(label: string, clients: Client<typeof MemoryService>[]) {
    const ms = await Promise.all(clients.map((c) => msUntilRefused(() => c.listMemories({}))));
    stoppedAfter[label] = Math.round(ms[0]!);
    if (ms[1] !== undefined) stoppedAfter[`${label} (replica)`] = Math.round(ms[1]);
    expect(ms[0]).toBeLessThanOrEqual(BOUND_MS);
  }

  it("DeleteEndUser(A): A's token stops within 1 s; B's token lives on", async () => {
    const [a, b] = [await liveToken("del-a"), await liveToken("del-b")];
    await backend.endUsers.deleteEndUser({ endUserId: "del-a" });
    await expectStops("deleteEndUser", a.everywhere);
    expect((await b.token.listMemories({})).memories).toHaveLength(1);
  });

  it("RevokeEndUserTokens(A): every token of A stops within 1 s; a token issued afterwards works", async () => {
    const [a1, a2, b] = [await liveToken("rev-a"), await liveToken("rev-a"), await liveToken("rev-b")];
    await backend.endUsers.revokeEndUserTokens({ endUserId: "rev-a" });
    await expectStops("revokeEndUserTokens", a1.everywhere);
    expect(await codeOf(a2.token.listMemories({}))).toBe(Code.Unauthenticated);
    expect((await b.token.listMemories({})).memories).toHaveLength(1);
    const fresh = await liveToken("rev-a");
    expect((await fresh.token.listMemories({})).memories).toHaveLength(3);
  });

  it("RevokeApiKey of the issuing key: its tokens stop within 1 s; the other key's tokens live on", async () => {
    const second = await backend.client(AuthService).createApiKey({ name: "issuer to revoke" });
    const doomed = await liveToken("key-a", second.key);
    const kept = await liveToken("key-a", backend.credential);
    await backend.client(AuthService).revokeApiKey({ id: second.apiKey!.id });
    await expectStops("revokeApiKey", doomed.everywhere);
    expect((await kept.token.listMemories({})).memories).toHaveLength(2);
  });

  it("a revoked token is refused without saying whose it was", async () => {
    const { token } = await liveToken("quiet-a");
    await backend.endUsers.revokeEndUserTokens({ endUserId: "quiet-a" });
    await msUntilRefused(() => token.listMemories({}));
    const err = await errorOf(token.listMemories({}));
    expect(err!.message).not.toContain("quiet-a");
  });
});

describe(`the per-end-user rate limit (${testMode})`, () => {
  const LIMIT = 5;
  let server: TestServer;
  let backend: ServiceAccount;
  let tokenA: Client<typeof MemoryService>;

  beforeAll(async () => {
    server = await startTestServer({
      MEMORIC_RATE_LIMIT_END_USER_RPC: String(LIMIT),
      MEMORIC_RATE_LIMIT_RPC: "100000",
      MEMORIC_RATE_LIMIT_WINDOW_SECONDS: "60",
    });
    backend = await serviceAccount(server, await admin(server));
    tokenA = (await delegate(server, backend, "limited-a")).client(MemoryService);
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`call ${LIMIT + 1} with A's token is ResourceExhausted with retry-after; the account's still pass`, async () => {
    for (let i = 0; i < LIMIT; i++) await tokenA.createMemory({ content: `call ${i}` });
    const err = await errorOf(tokenA.listMemories({}));
    expect(err?.code).toBe(Code.ResourceExhausted);
    const retryAfter = Number(err!.metadata.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1, `retry-after ${retryAfter}`).toBe(true);
    // The account's own budget is untouched: its key still reads and writes, A's memories included.
    for (let i = 0; i < LIMIT + 2; i++) await backend.memories.listMemories({ endUserId: "limited-a" });
    await backend.memories.createMemory({ endUserId: "limited-a", content: "written by the backend" });
    // Another end user's token has a budget of its own.
    const tokenB = (await delegate(server, backend, "limited-b")).client(MemoryService);
    expect((await tokenB.listMemories({})).memories).toEqual([]);
    expect(await codeOf(tokenA.listMemories({}))).toBe(Code.ResourceExhausted);
  });
});
