/**
 * Spec: MemoryService through real transports (gRPC over HTTP/2 with a bearer token; Connect JSON
 * over HTTP/1.1 for one path), on the real server with authentication, authorization, rate limits
 * and the audit log in place: CRUD, batch, idempotent retry, history, pagination, filters,
 * delete-by-filter, search with explain, context, clusters, export stream, admin RunPolicies; the
 * canary sentence is in no table and no log line; DeleteUser crypto-shreds the user's data.
 */
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { ContextFormat, Importance, MemoryService, SearchScope } from "../../gen/memoric/v1/memory_pb.js";
import { DataKey } from "../../src/security/crypto.js";
import { MasterKeyring } from "../../src/security/crypto.js";
import { contentAd } from "../../src/store/memory-rows.js";
import { admin, asOwner, registerAndLogin, userWithRoles, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { dumpAllTables } from "../store/memories-fixture.js";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let root: TestUser;
let mem: (u: TestUser) => Client<typeof MemoryService>;

beforeAll(async () => {
  server = await startTestServer({
    MEMORIC_RATE_LIMIT_RPC: "100000",
    MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000",
    MEMORIC_POLICY_SUMMARY_MIN_MEMORIES: "2",
  });
  [alice, bob, root] = await Promise.all([registerAndLogin(server), registerAndLogin(server), admin(server)]);
  mem = (u) => u.client(MemoryService);
});
afterAll(async () => {
  await server?.close();
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );

describe("CRUD over gRPC", () => {
  it("creates, reads, updates with history, lists with a cursor, deletes", async () => {
    const c = mem(alice);
    const { memory } = await c.createMemory({
      content: "Lunch with Dr. Rivera on Friday",
      threadId: "t1",
      metadata: { src: "rpc" },
    });
    expect(memory).toMatchObject({
      content: "Lunch with Dr. Rivera on Friday",
      threadId: "t1",
      version: 1,
      metadata: { src: "rpc" },
    });
    expect(memory!.entities).toContain("Dr. Rivera");
    expect((await c.getMemory({ id: memory!.id })).memory!.content).toBe(memory!.content);
    const upd = await c.updateMemory({
      id: memory!.id,
      content: "Lunch with Dr. Rivera on Saturday",
      updateMask: { paths: ["content"] },
    });
    expect(upd.memory!.version).toBe(2);
    const hist = await c.getMemoryHistory({ id: memory!.id });
    expect(hist.versions.map((v) => [v.content, v.reason])).toEqual([
      ["Lunch with Dr. Rivera on Friday", "update"],
      ["Lunch with Dr. Rivera on Saturday", "current"],
    ]);
    for (let i = 0; i < 4; i++) await c.createMemory({ content: `paged ${i}`, threadId: "pages" });
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await c.listMemories({ filter: { threadId: "pages" }, pageSize: 3, pageToken });
      seen.push(...page.memories.map((m) => m.content));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(["paged 3", "paged 2", "paged 1", "paged 0"]);
    expect((await c.deleteMemories({ filter: { threadId: "pages" } })).deletedCount).toBe(4n);
    await c.deleteMemory({ id: memory!.id });
    expect(await codeOf(c.getMemory({ id: memory!.id }))).toBe(Code.NotFound);
  });

  it("answers NotFound for another user's memory and InvalidArgument naming fields", async () => {
    const { memory } = await mem(alice).createMemory({ content: "alice only" });
    expect(await codeOf(mem(bob).getMemory({ id: memory!.id }))).toBe(Code.NotFound);
    expect(await codeOf(mem(bob).deleteMemory({ id: memory!.id }))).toBe(Code.NotFound);
    const err = await mem(alice)
      .createMemory({ content: "" })
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toMatch(/^content/);
  });

  it("batch is all or nothing; a retried create with the same idempotency key replays", async () => {
    const c = mem(alice);
    expect((await c.batchCreateMemories({ memories: [{ content: "b1" }, { content: "b2" }] })).memories).toHaveLength(
      2,
    );
    expect(await codeOf(c.batchCreateMemories({ memories: [{ content: "ok" }, { content: " " }] }))).toBe(
      Code.InvalidArgument,
    );
    const first = await c.createMemory({ content: "once", idempotencyKey: "idem-1" });
    const again = await c.createMemory({ content: "once", idempotencyKey: "idem-1" });
    expect(again).toMatchObject({ replayed: true, memory: { id: first.memory!.id } });
  });

  it("serves Connect JSON over HTTP/1.1 too", async () => {
    const json = createClient(
      MemoryService,
      createConnectTransport({
        baseUrl: server.url,
        httpVersion: "1.1",
        useBinaryFormat: false,
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${alice.token}`), next(req))],
      }),
    );
    const { memory } = await json.createMemory({ content: "via connect json", importance: Importance.HIGH });
    expect((await json.getMemory({ id: memory!.id })).memory!.importance).toBe(Importance.HIGH);
  });
});

describe("retrieval over gRPC", () => {
  it("searches with scopes and explain, builds a context block, lists clusters, exports a stream", async () => {
    const u = await registerAndLogin(server);
    const c = mem(u);
    await c.batchCreateMemories({
      memories: [
        { content: "Allergic to shellfish, carries an EpiPen", topic: "allergies" },
        { content: "Loves hiking in the Dolomites", threadId: "chat-1", role: 1 },
        { content: "Booked a hut near Cortina for July", threadId: "chat-1", role: 2 },
      ],
    });
    const res = await c.searchMemories({ query: "shellfish allergy", explain: true });
    expect(res.results[0]!.memory!.content).toContain("shellfish");
    const e = res.results[0]!.explanation!;
    expect(e.weightedRelevance + e.weightedRecency + e.weightedImportance + e.threadBoost + e.topicBoost).toBeCloseTo(
      res.results[0]!.score,
      12,
    );
    expect(await codeOf(c.searchMemories({ query: "x", scope: SearchScope.THREAD }))).toBe(Code.InvalidArgument);
    const thread = await c.searchMemories({ query: "hiking", scope: SearchScope.THREAD, threadId: "chat-1" });
    expect(thread.results.every((r) => r.memory!.threadId === "chat-1")).toBe(true);

    const ctx = await c.getContext({
      query: "shellfish",
      threadId: "chat-1",
      format: ContextFormat.STRUCTURED,
      maxChars: 500,
    });
    // The allergy is a core memory (derived CRITICAL): it opens the block, as the profile.
    expect(ctx.context.startsWith("## Profile\n- Allergic to shellfish")).toBe(true);
    expect(ctx.context.indexOf("shellfish")).toBeLessThan(ctx.context.indexOf("Dolomites"));
    expect(ctx.context.indexOf("Dolomites")).toBeLessThan(ctx.context.indexOf("Cortina"));
    expect([...ctx.context].length).toBeLessThanOrEqual(500);
    const chat = await c.getContext({ query: "", threadId: "chat-1", format: ContextFormat.CHAT });
    expect(chat.messages.length).toBeGreaterThan(0);

    expect((await c.rebuildClusters({})).clusterCount).toBeGreaterThan(0);
    expect((await c.listClusters({})).clusters.length).toBeGreaterThan(0);

    const exported = [];
    for await (const item of c.exportMemories({})) exported.push(item.memory!.content);
    expect(exported.sort()).toEqual([
      "Allergic to shellfish, carries an EpiPen",
      "Booked a hut near Cortina for July",
      "Loves hiking in the Dolomites",
    ]);
  });

  it("RunPolicies is admin only", async () => {
    expect(await codeOf(mem(alice).runPolicies({ dryRun: true }))).toBe(Code.PermissionDenied);
    const dry = await mem(root).runPolicies({ dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.duration).toBeDefined();
  });

  it("READ_ONLY reads but cannot write", async () => {
    const ro = await userWithRoles(server, ["READ_ONLY"]);
    expect((await mem(ro).listMemories({})).memories).toEqual([]);
    expect(await codeOf(mem(ro).createMemory({ content: "nope" }))).toBe(Code.PermissionDenied);
  });
});

describe("nothing readable at rest", () => {
  const CANARY = "Vermilion okapi juggles cardamom";
  const WORDS = ["vermilion", "okapi", "juggles", "cardamom"];

  it("the canary is in no table and no log line after every RPC path", async () => {
    const u = await registerAndLogin(server);
    const c = mem(u);
    const { memory } = await c.createMemory({
      content: CANARY,
      threadId: "th",
      metadata: { secret: CANARY },
      topic: "okapi",
      idempotencyKey: CANARY,
    });
    await c.createMemory({ content: `${CANARY} twice`, threadId: "th" });
    await c.updateMemory({ id: memory!.id, content: `${CANARY} edited`, updateMask: { paths: ["content"] } });
    await c.batchCreateMemories({ memories: [{ content: `${CANARY} in a batch` }] });
    await c.searchMemories({ query: CANARY, explain: true, topic: "okapi" });
    await c.getContext({ query: CANARY, threadId: "th" });
    await c.rebuildClusters({});
    await c.listClusters({ topic: "okapi" });
    for await (const _ of c.exportMemories({})) void _;
    await mem(root).runPolicies({});
    expect(await codeOf(c.createMemory({ content: CANARY, threadId: "bad\nid" }))).toBe(Code.InvalidArgument);

    const dump = await asOwner(server, (sql) => dumpAllTables(sql));
    expect(dump.map((d) => d.table)).toEqual(
      expect.arrayContaining(["audit_log", "memories", "memory_versions", "memory_terms", "memory_clusters"]),
    );
    for (const { table, text } of dump)
      for (const w of WORDS) expect(text.toLowerCase().includes(w), `${w} in ${table}`).toBe(false);
    const logs = server.logs.join("\n").toLowerCase();
    for (const w of WORDS) expect(logs.includes(w), `${w} in logs`).toBe(false);
  });
});

describe("DeleteUser crypto-shreds", () => {
  it("removes the wrapped key and rows; a backup of the rows cannot be decrypted", async () => {
    const victim = await registerAndLogin(server);
    const { memory } = await mem(victim).createMemory({ content: "to be forgotten" });
    const backup = await asOwner(
      server,
      (sql) =>
        sql<
          { content_ct: Buffer; version: number }[]
        >`select content_ct, version from memories where account_id = ${victim.userId}`,
    );
    expect(backup).toHaveLength(1);
    await root.client(AuthService).deleteUser({ userId: victim.userId });
    const left = await asOwner(
      server,
      (sql) => sql<{ k: number; m: number; t: number }[]>`select
      (select count(*) from owners where account_id = ${victim.userId} and wrapped_key is not null)::int as k,
      (select count(*) from memories where account_id = ${victim.userId})::int as m,
      (select count(*) from memory_terms where account_id = ${victim.userId})::int as t`,
    );
    expect(left[0]).toEqual({ k: 0, m: 0, t: 0 });
    const ring = await MasterKeyring.fromBase64(server.config.secrets.keysetBase64!);
    const keys = await asOwner(
      server,
      (sql) =>
        sql<
          { user_id: string; wrapped_key: Buffer }[]
        >`select id as user_id, wrapped_key from owners where wrapped_key is not null`,
    );
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      const other = await DataKey.fromBytes(await ring.unwrapDataKey(k.wrapped_key, k.user_id));
      await expect(
        other.decryptText(backup[0]!.content_ct, contentAd(victim.userId, memory!.id, 1, "content")),
      ).rejects.toThrow();
    }
  });
});
