/**
 * Spec: a delegated end-user token acts for its one end user. With A's token, A's memories can be
 * written and read (naming A or naming no one); every attempt on end user B — by B's memory id, or by
 * naming B in any memory RPC — is PermissionDenied or NotFound and leaks nothing of B; the token never
 * reaches EndUserService, AuthService's account RPCs or AuditService; it carries only the permissions
 * delegated (a subset of the issuer's); and a thread-pinned token sees and writes one thread only.
 */
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService } from "../../../gen/memoric/v1/audit_pb.js";
import { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import { testMode } from "../../support/database.js";
import {
  caller,
  codeOf,
  delegate,
  errorOf,
  errorText,
  serviceAccount,
  type Caller,
  type ServiceAccount,
  violatedFields,
} from "../../support/end-users.js";
import { admin } from "../../support/identity.js";
import { startTestServer, type TestServer } from "../../support/server.js";

const A = "alice@customer.example";
const B = "bob@customer.example";
/** Words only B's memories hold: found in no answer given to A's token. */
const B_CANARY = "orchidcanary7f3a";

let server: TestServer;
let backend: ServiceAccount;
let tokenA: Caller;
let memA: Client<typeof MemoryService>;
let bMemoryId: string;
let bInternalId: string;

const collect = async <T>(stream: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of stream) out.push(x);
  return out;
};

beforeAll(async () => {
  server = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "100000" });
  backend = await serviceAccount(server, await admin(server));
  await backend.memories.batchCreateMemories({
    endUserId: A,
    memories: [
      { content: "alice keeps a vegetable garden", threadId: "t1" },
      { content: "alice prefers window seats", threadId: "t2" },
    ],
  });
  const { memories } = await backend.memories.batchCreateMemories({
    endUserId: B,
    memories: [
      { content: `bob ${B_CANARY} grows orchids in the garden`, threadId: "t1", metadata: { secret: B_CANARY } },
      { content: `bob ${B_CANARY} prefers window seats too`, threadId: "t2" },
    ],
  });
  bMemoryId = memories[0]!.id;
  // History for B, so GetMemoryHistory has something to leak.
  await backend.memories.updateMemory({
    endUserId: B,
    id: bMemoryId,
    content: `bob ${B_CANARY} grows orchids and ferns in the garden`,
    updateMask: { paths: ["content"] },
  });
  bInternalId = (await backend.endUsers.getEndUser({ endUserId: B })).endUser!.id;
  tokenA = await delegate(server, backend, A, {
    permissions: ["memories:read", "memories:write", "memories:delete", "clusters:read", "clusters:write"],
  });
  memA = tokenA.client(MemoryService);
});
afterAll(async () => {
  await server?.close();
});

/** Nothing of B: no content, metadata, external or internal id. */
function expectNoB(what: unknown, label: string) {
  const text = JSON.stringify(what, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  expect(text, label).not.toContain(B_CANARY);
  expect(text, label).not.toContain(bInternalId);
  expect(text, label).not.toContain(bMemoryId.slice(9)); // no echo of B's memory id either
}

describe(`A's token on A's memories (${testMode})`, () => {
  it("writes and reads without naming the end user, and naming A", async () => {
    const { memory } = await memA.createMemory({ content: "alice plans to plant tomatoes" });
    expect(memory!.endUserId).toBe(A);
    const named = await memA.createMemory({ content: "alice plans to plant basil", endUserId: A });
    expect(named.memory!.endUserId).toBe(A);
    expect((await memA.getMemory({ id: memory!.id })).memory!.content).toBe("alice plans to plant tomatoes");
    expect((await memA.getMemory({ id: named.memory!.id, endUserId: A })).memory!.endUserId).toBe(A);
    const updated = await memA.updateMemory({
      id: memory!.id,
      content: "alice planted tomatoes",
      updateMask: { paths: ["content"] },
    });
    expect(updated.memory!.version).toBe(2);
    expect((await memA.getMemoryHistory({ id: memory!.id })).versions.map((v) => v.content)).toEqual([
      "alice plans to plant tomatoes",
      "alice planted tomatoes",
    ]);
    const listed = await memA.listMemories({});
    expect(listed.memories.every((m) => m.endUserId === A)).toBe(true);
    expect(listed.memories.map((m) => m.content)).toContain("alice planted tomatoes");
    const found = await memA.searchMemories({ query: "plant garden", endUserId: A });
    expect(found.results.length).toBeGreaterThan(0);
    const context = await memA.getContext({ query: "garden" });
    expect(context.context).toContain("alice");
    const exported = await collect(memA.exportMemories({}));
    expect(exported.map((e) => e.memory!.endUserId)).toEqual(exported.map(() => A));
    await memA.deleteMemory({ id: named.memory!.id });
    expect(await codeOf(memA.getMemory({ id: named.memory!.id }))).toBe(Code.NotFound);
    // The account sees what the token wrote, as A's.
    const viaKey = await backend.memories.getMemory({ id: memory!.id, endUserId: A });
    expect(viaKey.memory!.content).toBe("alice planted tomatoes");
  });

  it("lists a batch in pages without skipping or repeating (cursor keeps microseconds)", async () => {
    const { memories } = await memA.batchCreateMemories({
      memories: Array.from({ length: 7 }, (_, i) => ({ content: `paged note ${i}`, threadId: "pages" })),
    });
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await memA.listMemories({ filter: { threadId: "pages" }, pageSize: 3, pageToken });
      seen.push(...page.memories.map((m) => m.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen.sort()).toEqual(memories.map((m) => m.id).sort());
  });
});

describe(`A's token on B (${testMode})`, () => {
  const attempts: [string, () => Promise<unknown>, Code[]][] = [
    ["GetMemory by B's id", () => memA.getMemory({ id: bMemoryId }), [Code.NotFound]],
    ["GetMemory naming B", () => memA.getMemory({ id: bMemoryId, endUserId: B }), [Code.PermissionDenied]],
    ["ListMemories naming B", () => memA.listMemories({ endUserId: B }), [Code.PermissionDenied]],
    ["SearchMemories naming B", () => memA.searchMemories({ endUserId: B, query: B_CANARY }), [Code.PermissionDenied]],
    ["GetContext naming B", () => memA.getContext({ endUserId: B, query: "orchids" }), [Code.PermissionDenied]],
    ["ExportMemories naming B", () => collect(memA.exportMemories({ endUserId: B })), [Code.PermissionDenied]],
    [
      "ExportMemories all_end_users",
      () => collect(memA.exportMemories({ allEndUsers: true })),
      [Code.PermissionDenied],
    ],
    ["GetMemoryHistory by B's id", () => memA.getMemoryHistory({ id: bMemoryId }), [Code.NotFound]],
    [
      "GetMemoryHistory naming B",
      () => memA.getMemoryHistory({ id: bMemoryId, endUserId: B }),
      [Code.PermissionDenied],
    ],
    [
      "UpdateMemory by B's id",
      () => memA.updateMemory({ id: bMemoryId, content: "pwned", updateMask: { paths: ["content"] } }),
      [Code.NotFound],
    ],
    [
      "UpdateMemory naming B",
      () => memA.updateMemory({ id: bMemoryId, endUserId: B, content: "pwned", updateMask: { paths: ["content"] } }),
      [Code.PermissionDenied],
    ],
    ["DeleteMemory by B's id", () => memA.deleteMemory({ id: bMemoryId }), [Code.NotFound]],
    ["DeleteMemory naming B", () => memA.deleteMemory({ id: bMemoryId, endUserId: B }), [Code.PermissionDenied]],
    ["DeleteMemories naming B", () => memA.deleteMemories({ endUserId: B, all: true }), [Code.PermissionDenied]],
    ["CreateMemory naming B", () => memA.createMemory({ endUserId: B, content: "planted" }), [Code.PermissionDenied]],
    [
      "BatchCreateMemories naming B",
      () => memA.batchCreateMemories({ endUserId: B, memories: [{ content: "planted" }] }),
      [Code.PermissionDenied],
    ],
    ["ListClusters naming B", () => memA.listClusters({ endUserId: B }), [Code.PermissionDenied]],
    ["RebuildClusters naming B", () => memA.rebuildClusters({ endUserId: B }), [Code.PermissionDenied]],
  ];

  it.each(attempts)("%s is refused and leaks nothing", async (_label, attempt, codes) => {
    const err = await errorOf(attempt());
    expect(err, "the call must fail").toBeDefined();
    expect(codes).toContain(err!.code);
    expectNoB(errorText(err!), err!.message);
  });

  it("A's own listings, searches, context and export hold nothing of B", async () => {
    expectNoB(await memA.listMemories({ pageSize: 500 }), "list");
    expectNoB(await memA.searchMemories({ query: `${B_CANARY} orchids garden window seats`, topK: 100 }), "search");
    expectNoB(await memA.getContext({ query: `${B_CANARY} orchids` }), "context");
    expectNoB(await collect(memA.exportMemories({})), "export");
    await memA.rebuildClusters({});
    expectNoB(await memA.listClusters({}), "clusters");
  });

  it("B's memories are untouched", async () => {
    const list = await backend.memories.listMemories({ endUserId: B });
    expect(list.memories).toHaveLength(2);
    const m = await backend.memories.getMemory({ id: bMemoryId, endUserId: B });
    expect(m.memory).toMatchObject({ version: 2, content: `bob ${B_CANARY} grows orchids and ferns in the garden` });
  });
});

describe(`what a delegated token can never call (${testMode})`, () => {
  const denied: [string, () => Promise<unknown>][] = [
    ["EndUserService.CreateEndUser", () => tokenA.client(EndUserService).createEndUser({ endUserId: "c" })],
    ["EndUserService.GetEndUser", () => tokenA.client(EndUserService).getEndUser({ endUserId: A })],
    ["EndUserService.ListEndUsers", () => tokenA.client(EndUserService).listEndUsers({})],
    ["EndUserService.DeleteEndUser", () => tokenA.client(EndUserService).deleteEndUser({ endUserId: B })],
    ["EndUserService.IssueEndUserToken", () => tokenA.client(EndUserService).issueEndUserToken({ endUserId: B })],
    ["EndUserService.RevokeEndUserTokens", () => tokenA.client(EndUserService).revokeEndUserTokens({ endUserId: A })],
    ["AuthService.GetCurrentUser", () => tokenA.client(AuthService).getCurrentUser({})],
    ["AuthService.CreateApiKey", () => tokenA.client(AuthService).createApiKey({ name: "escalate" })],
    ["AuthService.ListApiKeys", () => tokenA.client(AuthService).listApiKeys({})],
    ["AuthService.ListUsers", () => tokenA.client(AuthService).listUsers({})],
    ["AuditService.QueryAuditLogs", () => tokenA.client(AuditService).queryAuditLogs({})],
    ["MemoryService.RunPolicies", () => memA.runPolicies({ dryRun: true })],
  ];
  it.each(denied)("%s: PermissionDenied", async (_label, call) => {
    expect(await codeOf(call())).toBe(Code.PermissionDenied);
  });
});

describe(`delegated permissions (${testMode})`, () => {
  it("a read-only token reads but cannot write, update or delete", async () => {
    const reader = (await delegate(server, backend, A, { permissions: ["memories:read"] })).client(MemoryService);
    const [some] = (await reader.listMemories({})).memories;
    expect(some).toBeDefined();
    expect(await codeOf(reader.createMemory({ content: "nope" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(reader.batchCreateMemories({ memories: [{ content: "nope" }] }))).toBe(Code.PermissionDenied);
    expect(
      await codeOf(reader.updateMemory({ id: some!.id, content: "nope", updateMask: { paths: ["content"] } })),
    ).toBe(Code.PermissionDenied);
    expect(await codeOf(reader.deleteMemory({ id: some!.id }))).toBe(Code.PermissionDenied);
    expect(await codeOf(reader.deleteMemories({ all: true }))).toBe(Code.PermissionDenied);
    expect(await codeOf(reader.rebuildClusters({}))).toBe(Code.PermissionDenied);
  });

  it("the default token reads and writes but cannot delete", async () => {
    const res = await backend.endUsers.issueEndUserToken({ endUserId: A });
    expect([...res.permissions].sort()).toEqual(["memories:read", "memories:write"]);
    const c = caller(server, res.token).client(MemoryService);
    const { memory } = await c.createMemory({ content: "written by default token" });
    expect(await codeOf(c.deleteMemory({ id: memory!.id }))).toBe(Code.PermissionDenied);
  });

  it("delegating a permission the caller lacks is PermissionDenied", async () => {
    const { key } = await backend
      .client(AuthService)
      .createApiKey({ name: "read and delegate", scopes: ["memories:read", "end_users:delegate"] });
    const narrow = caller(server, key).client(EndUserService);
    expect(await codeOf(narrow.issueEndUserToken({ endUserId: A, permissions: ["memories:write"] }))).toBe(
      Code.PermissionDenied,
    );
    // The default set shrinks to what the key holds.
    const ok = await narrow.issueEndUserToken({ endUserId: A });
    expect(ok.permissions).toEqual(["memories:read"]);
  });

  it.each([["memories:fly"], ["audit:read"], ["end_users:manage"], ["keys:manage"]])(
    "%s cannot be delegated: InvalidArgument naming permissions[0]",
    async (permission) => {
      const err = await errorOf(backend.endUsers.issueEndUserToken({ endUserId: A, permissions: [permission] }));
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(violatedFields(err)).toEqual(["permissions[0]"]);
    },
  );

  it("ttl above one hour is InvalidArgument", async () => {
    const err = await errorOf(backend.endUsers.issueEndUserToken({ endUserId: A, ttl: { seconds: 3601n, nanos: 0 } }));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(violatedFields(err)).toEqual(["ttl"]);
    const ok = await backend.endUsers.issueEndUserToken({ endUserId: A, ttl: { seconds: 3600n, nanos: 0 } });
    expect(ok.expiresIn).toBe(3600);
  });
});

describe(`a thread-pinned token (${testMode})`, () => {
  let t1: Client<typeof MemoryService>;
  beforeAll(async () => {
    const perms = ["memories:read", "memories:write", "memories:delete", "clusters:read", "clusters:write"];
    t1 = (await delegate(server, backend, A, { permissions: perms, threadId: "t1" })).client(MemoryService);
  });

  it("sees only t1's memories", async () => {
    const { memories } = await t1.listMemories({ pageSize: 500 });
    expect(memories.length).toBeGreaterThan(0);
    expect(memories.every((m) => m.threadId === "t1")).toBe(true);
    const found = await t1.searchMemories({ query: "alice window seats garden", topK: 100 });
    expect(found.results.every((r) => r.memory!.threadId === "t1")).toBe(true);
    const exported = await collect(t1.exportMemories({}));
    expect(exported.every((e) => e.memory!.threadId === "t1")).toBe(true);
    const t2 = (await backend.memories.listMemories({ endUserId: A, filter: { threadId: "t2" } })).memories[0]!;
    expect(await codeOf(t1.getMemory({ id: t2.id }))).toBe(Code.NotFound);
    expect(await codeOf(t1.getMemoryHistory({ id: t2.id }))).toBe(Code.NotFound);
    expect(await codeOf(t1.deleteMemory({ id: t2.id }))).toBe(Code.NotFound);
  });

  it("writes land in t1", async () => {
    const { memory } = await t1.createMemory({ content: "written under the t1 pin" });
    expect(memory!.threadId).toBe("t1");
    const batch = await t1.batchCreateMemories({ memories: [{ content: "batched under the pin", threadId: "t1" }] });
    expect(batch.memories[0]!.threadId).toBe("t1");
  });

  it.each([
    ["CreateMemory", () => t1.createMemory({ content: "x", threadId: "t2" })],
    ["BatchCreateMemories", () => t1.batchCreateMemories({ memories: [{ content: "x", threadId: "t2" }] })],
    ["ListMemories", () => t1.listMemories({ filter: { threadId: "t2" } })],
    ["SearchMemories thread", () => t1.searchMemories({ query: "x", threadId: "t2" })],
    ["SearchMemories filter", () => t1.searchMemories({ query: "x", filter: { threadId: "t2" } })],
    ["GetContext", () => t1.getContext({ query: "x", threadId: "t2" })],
    ["ExportMemories", () => collect(t1.exportMemories({ filter: { threadId: "t2" } }))],
    ["DeleteMemories", () => t1.deleteMemories({ filter: { threadId: "t2" } })],
    ["ListClusters", () => t1.listClusters({})],
    ["RebuildClusters", () => t1.rebuildClusters({})],
  ])("%s naming thread t2 (or clusters) is PermissionDenied", async (_label, call) => {
    expect(await codeOf(call())).toBe(Code.PermissionDenied);
  });

  it("moving a t1 memory to t2 is PermissionDenied", async () => {
    const { memory } = await t1.createMemory({ content: "stays in t1" });
    expect(
      await codeOf(t1.updateMemory({ id: memory!.id, threadId: "t2", updateMask: { paths: ["thread_id"] } })),
    ).toBe(Code.PermissionDenied);
    expect((await t1.getMemory({ id: memory!.id })).memory!.threadId).toBe("t1");
  });
});
