/**
 * Spec: AuditService through a real gRPC (HTTP/2) transport against the real server with real
 * identity: every filter, paging with a true total, the aggregates, admin-only access (and the
 * denial itself audited), admin reads audited, canaries never stored or logged, and
 * VerifyAuditChain reporting tampering.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService, Severity, type AuditLog } from "../../gen/memoric/v1/audit_pb.js";
import { AUDIT_EVENT_TYPES } from "../../src/domain/audit-events.js";
import { writeCheckpoint } from "../../src/store/audit-checkpoints.js";
import { resolveSecrets } from "../../src/security/deployment-secrets.js";
import { createAuditWriter } from "../../src/store/audit-log.js";
import type { CallInfo } from "../../src/interceptors/call-context.js";
import { admin, anonymous, asOwner, bearerTransport, registerAndLogin, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { tamper } from "../store/audit-hooks.js";

let server: TestServer;
let root: TestUser;
let user: TestUser;
let audit: Client<typeof AuditService>;
const HOUR = 3_600_000;
const SEED_USERS = ["aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"];
const CANARY = "CaNaRy5e1d0c3b";

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
const rowsAsOwner = () =>
  asOwner(server, (sql) => sql<Record<string, unknown>[]>`select * from audit_log order by time, shard, seq`);

beforeAll(async () => {
  server = await startTestServer({
    MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000",
    MEMORIC_RATE_LIMIT_RPC: "100000",
    MEMORIC_AUDIT_SHARDS: "4",
  });
  root = await admin(server);
  user = await registerAndLogin(server);
  audit = root.client(AuditService);
  // Seed rows with known facts (one writer, as a handler would use it), two of them an hour old.
  let clock = new Date(Date.now() - 2 * HOUR);
  const writer = createAuditWriter({ sql: server.db.sql, config: server.config.audit, now: () => clock });
  const call = (i: number): CallInfo => ({
    principal: {
      type: "user",
      userId: SEED_USERS[i % 2]!,
      username: "seed",
      roles: ["USER"],
      permissions: new Set(),
      sessionId: "s",
      credentialId: "c",
    },
    requestId: `seed-${i}`,
    clientAddress: "10.9.9.9",
    userAgent: "seed",
    service: "memoric.v1.MemoryService",
    method: "CreateMemory",
  });
  const seeds = [
    { type: "memory.created", success: true },
    { type: "memory.created", success: true },
    { type: "memory.created", success: false, code: "invalid_argument", errorMessage: "content: too long" },
    { type: "memory.deleted", success: true },
    { type: "security.breach.attempt", success: false },
    { type: "memory.deleted", success: true },
    { type: "memory.created", success: true },
  ] as const;
  for (const [i, s] of seeds.entries()) {
    if (i === 2) clock = new Date();
    await writer.recordStandalone(call(i), { ...s, resourceType: "seed", resourceId: `seed-${i % 3}` });
  }
});
afterAll(async () => server?.close());

async function allPages(req: Parameters<typeof audit.queryAuditLogs>[0]) {
  const logs: AuditLog[] = [];
  const totals: bigint[] = [];
  let pageToken = "";
  do {
    const res = await audit.queryAuditLogs({ ...req, pageToken });
    logs.push(...res.logs);
    totals.push(res.total);
    pageToken = res.nextPageToken;
  } while (pageToken !== "");
  return { logs, totals };
}

describe("QueryAuditLogs", () => {
  it("pages newest first with a true total on every page", async () => {
    const { logs, totals } = await allPages({ resourceType: "seed", pageSize: 3 });
    expect(logs).toHaveLength(7);
    expect(new Set(logs.map((l) => l.id)).size).toBe(7);
    expect(totals).toEqual([7n, 7n, 7n]);
    const times = logs.map((l) => Number(l.time!.seconds) * 1000 + l.time!.nanos / 1e6);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // The two oldest seeds share one timestamp: the keyset (time, id) must still page them exactly once.
    expect(logs.at(-1)).toMatchObject({
      resourceType: "seed",
      clientAddress: "10.9.9.9",
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(new Set(logs.slice(-2).map((l) => l.principalId))).toEqual(new Set(SEED_USERS));
  });

  it("applies every filter", async () => {
    const count = async (req: Parameters<typeof audit.queryAuditLogs>[0]) =>
      (await audit.queryAuditLogs({ resourceType: "seed", ...req })).total;
    expect(await count({ userId: SEED_USERS[1] })).toBe(3n);
    expect(await count({ eventType: "memory.deleted" })).toBe(2n);
    expect(await count({ resourceId: "seed-0" })).toBe(3n);
    expect(await count({ success: false })).toBe(2n);
    expect(await count({ success: true })).toBe(5n);
    expect(await count({ severity: Severity.WARNING })).toBe(1n); // the critical breach attempt
    expect(await count({ startTime: timestampFromDate(new Date(Date.now() - HOUR)) })).toBe(5n);
    expect(await count({ endTime: timestampFromDate(new Date(Date.now() - HOUR)) })).toBe(2n);
    const failed = await audit.queryAuditLogs({ resourceType: "seed", success: false, eventType: "memory.created" });
    expect(failed.logs[0]).toMatchObject({
      code: "invalid_argument",
      errorMessage: "content: too long",
      success: false,
    });
  });

  it("rejects bad input, naming the field", async () => {
    const bad = async (req: Parameters<typeof audit.queryAuditLogs>[0], field: string) => {
      const err = await codeOf(audit.queryAuditLogs(req));
      expect(err?.code, field).toBe(Code.InvalidArgument);
      expect(err?.rawMessage).toContain(field);
    };
    await bad({ pageSize: -1 }, "page_size");
    await bad({ pageToken: "not-a-token" }, "page_token");
    await bad({ pageToken: Buffer.from('{"v":1}').toString("base64url") }, "page_token");
    const first = await audit.queryAuditLogs({ resourceType: "seed", pageSize: 1 });
    await bad({ resourceType: "other", pageToken: first.nextPageToken }, "page_token");
    await bad(
      { startTime: timestampFromDate(new Date()), endTime: timestampFromDate(new Date(Date.now() - HOUR)) },
      "end_time",
    );
    await bad({ eventType: "no.such.event" }, "event_type");
    await bad({ userId: "not-a-uuid" }, "user_id");
  });
});

describe("the other reads", () => {
  it("GetUserActivity", async () => {
    const res = await audit.getUserActivity({ userId: SEED_USERS[0]! });
    expect(res.total).toBe(4n);
    expect(res.logs.every((l) => l.principalId === SEED_USERS[0])).toBe(true);
    expect(res.byEventType.reduce((n, c) => n + c.count, 0n)).toBe(4n);
    expect(
      (await audit.getUserActivity({ userId: SEED_USERS[0]!, since: timestampFromDate(new Date(Date.now() - HOUR)) }))
        .total,
    ).toBe(3n);
    expect((await codeOf(audit.getUserActivity({})))?.code).toBe(Code.InvalidArgument);
  });

  it("GetSecurityEvents: warning or worse, failures and security.*", async () => {
    const res = await audit.getSecurityEvents({ limit: 1000 });
    expect(res.logs.some((l) => l.eventType === "security.breach.attempt")).toBe(true);
    expect(
      res.logs.every((l) => l.severity >= Severity.WARNING || !l.success || l.eventType.startsWith("security.")),
    ).toBe(true);
    expect(res.total).toBeGreaterThanOrEqual(2n);
  });

  it("ListEventTypes and ListSeverityLevels come from the one table", async () => {
    expect((await audit.listEventTypes({})).eventTypes.map((e) => e.name)).toEqual([...AUDIT_EVENT_TYPES]);
    expect((await audit.listSeverityLevels({})).levels.map((l) => l.name)).toEqual([
      "debug",
      "info",
      "warning",
      "error",
      "critical",
    ]);
  });

  it("admin reads are themselves audited", async () => {
    await audit.getSecurityEvents({});
    const res = await audit.queryAuditLogs({ eventType: "audit.queried", userId: root.userId, pageSize: 1 });
    expect(res.logs[0]).toMatchObject({
      principalId: root.userId,
      service: "memoric.v1.AuditService",
      resourceType: "audit_log",
      success: true,
    });
    expect(res.logs[0]!.roles).toEqual(["ADMIN"]);
  });
});

describe("admin only", () => {
  const calls = (c: Client<typeof AuditService>) => ({
    QueryAuditLogs: () => c.queryAuditLogs({}),
    GetUserActivity: () => c.getUserActivity({ userId: SEED_USERS[0]! }),
    GetSecurityEvents: () => c.getSecurityEvents({}),
    GetAuditStatistics: () => c.getAuditStatistics({}),
    ListEventTypes: () => c.listEventTypes({}),
    ListSeverityLevels: () => c.listSeverityLevels({}),
    VerifyAuditChain: () => c.verifyAuditChain({}),
  });

  it("a USER gets PermissionDenied on every AuditService RPC, and each denial is audited", async () => {
    for (const [method, call] of Object.entries(calls(user.client(AuditService)))) {
      expect((await codeOf(call()))?.code, method).toBe(Code.PermissionDenied);
    }
    const denied = await audit.queryAuditLogs({ eventType: "authz.access.denied", userId: user.userId, pageSize: 100 });
    expect(new Set(denied.logs.map((l) => l.method))).toEqual(new Set(Object.keys(calls(audit))));
    expect(
      denied.logs.every((l) => l.code === "permission_denied" && !l.success && l.service === "memoric.v1.AuditService"),
    ).toBe(true);
  });

  it("no credential → Unauthenticated, audited as auth.token.invalid", async () => {
    const anon = createClient(AuditService, createGrpcTransport({ baseUrl: server.url }));
    for (const [method, call] of Object.entries(calls(anon)))
      expect((await codeOf(call()))?.code, method).toBe(Code.Unauthenticated);
    const res = await audit.queryAuditLogs({ eventType: "auth.token.invalid", pageSize: 1000 });
    expect(
      res.logs.filter((l) => l.service === "memoric.v1.AuditService" && l.principalId === "").length,
    ).toBeGreaterThanOrEqual(7);
  });

  it("GetAuditStatistics counts the window and the top denied methods", async () => {
    const s = await audit.getAuditStatistics({ since: timestampFromDate(new Date(Date.now() - 3 * HOUR)) });
    expect(s.successCount + s.failureCount).toBe(s.total);
    expect(s.byEventType.reduce((n, c) => n + c.count, 0n)).toBe(s.total);
    expect(s.uniquePrincipals).toBeGreaterThanOrEqual(4n); // root, user, two seeds
    expect(s.topDeniedMethods.map((m) => m.method)).toContain("memoric.v1.AuditService/QueryAuditLogs");
    const later = await audit.getAuditStatistics({
      since: timestampFromDate(new Date(Date.now() + HOUR)),
      until: timestampFromDate(new Date(Date.now() + 2 * HOUR)),
    });
    expect(later.total).toBe(0n);
    expect(
      (
        await codeOf(
          audit.getAuditStatistics({
            since: timestampFromDate(new Date()),
            until: timestampFromDate(new Date(Date.now() - HOUR)),
          }),
        )
      )?.rawMessage,
    ).toContain("until");
  });
});

describe("canaries", () => {
  it("a canary token, password or page token never reaches an audit column or a log line", async () => {
    const forged = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0${CANARY}.c2ln${CANARY}`;
    await codeOf(createClient(AuditService, bearerTransport(server, forged)).queryAuditLogs({}));
    await codeOf(createClient(AuditService, bearerTransport(server, `mk_${CANARY}abcdef`)).queryAuditLogs({}));
    await codeOf(anonymous(server).login({ username: root.username, password: `pw-${CANARY}` }));
    await codeOf(audit.queryAuditLogs({ pageToken: `${CANARY}` }));
    const dump = JSON.stringify(await rowsAsOwner());
    expect(dump).not.toContain(CANARY);
    expect(server.logs.filter((l) => l.includes(CANARY))).toEqual([]);
    const invalid = await audit.queryAuditLogs({ eventType: "auth.token.invalid", pageSize: 3 });
    expect(invalid.total).toBeGreaterThan(0n); // the forged credentials were recorded, just not their secrets
  });
});

describe("VerifyAuditChain", () => {
  it("reports ok, then the first tampered row, and records audit.verified (critical when broken)", async () => {
    const { auditKey } = await resolveSecrets(server.config);
    await writeCheckpoint(server.db.sql, auditKey);
    const ok = await audit.verifyAuditChain({});
    expect(ok).toMatchObject({ ok: true });
    expect(ok.checked).toBeGreaterThan(20n);
    expect(ok.checkpointsVerified).toBeGreaterThanOrEqual(1n);

    const victim = (await audit.queryAuditLogs({ resourceType: "seed", eventType: "security.breach.attempt" }))
      .logs[0]!;
    await asOwner(server, (sql) =>
      tamper(sql, (tx) => tx`update audit_log set success = true where id = ${victim.id}`),
    );
    const broken = await audit.verifyAuditChain({});
    expect(broken.ok).toBe(false);
    expect(broken.firstBad).toMatchObject({
      shard: victim.shard,
      sequence: victim.sequence,
      auditLogId: victim.id,
      reason: "modified",
    });

    const verified = await audit.queryAuditLogs({ eventType: "audit.verified", pageSize: 2 });
    expect(verified.logs[0]).toMatchObject({
      severity: Severity.CRITICAL,
      principalId: root.userId,
      details: { ok: false, reason: "modified" },
    });
    expect(verified.logs[1]).toMatchObject({ severity: Severity.INFO, details: { ok: true } });
  });
});
