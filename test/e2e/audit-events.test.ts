/**
 * Spec: every event type of the taxonomy is produced by the scenario that should produce it
 * (table-driven, through the real server). Events without a producer yet are it.todo, named after
 * the missing scenario; the last test fails if the table and the taxonomy drift apart.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { AuthService, Role } from "../../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { AUDIT_EVENT_TYPES, type AuditEventType } from "../../src/domain/audit-events.js";
import { indexRebuild } from "../../src/cli/index-rebuild.js";
import { keysAdd, keysPromote, keysRewrap } from "../../src/cli/keys.js";
import { runRetention } from "../../src/jobs/audit-jobs.js";
import { writeCheckpoint } from "../../src/store/audit-checkpoints.js";
import { createLogger } from "../../src/logger.js";
import { resolveSecrets, type DeploymentSecrets } from "../../src/security/deployment-secrets.js";
import { createAuditWriter } from "../../src/store/audit-log.js";
import {
  admin,
  anonymous,
  asOwner,
  bearerTransport,
  login,
  registerAndLogin,
  TEST_PASSWORD,
  type TestUser,
} from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { tamper } from "../store/audit-hooks.js";

let server: TestServer;
let root: TestUser;
let secrets: DeploymentSecrets;
const attempt = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );
const auth = (u: TestUser) => u.client(AuthService);
const endUsers = (u: TestUser) => u.client(EndUserService);
const memories = async () => (await registerAndLogin(server)).client(MemoryService);
async function withMemory() {
  const c = await memories();
  const { memory } = await c.createMemory({ content: "allergic to peanuts", threadId: "t1" });
  return { c, id: memory!.id };
}

beforeAll(async () => {
  server = await startTestServer({
    MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000",
    MEMORIC_RATE_LIMIT_RPC: "100000",
    MEMORIC_AUDIT_LOG_GRANTED: "on",
    MEMORIC_LOGIN_MAX_FAILURES: "2",
  });
  root = await admin(server);
  secrets = await resolveSecrets(server.config);
});
afterAll(async () => server?.close());

/** A correctly signed access token that expired two minutes ago (beyond the clock-skew allowance). */
async function expiredToken(u: TestUser): Promise<string> {
  const raw = server.config.secrets.jwtSecret!;
  const key = raw.startsWith("base64:") ? Buffer.from(raw.slice(7), "base64") : Buffer.from(raw);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: ["USER"], ver: 0, sid: randomUUID() })
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
    .setSubject(u.userId)
    .setIssuer(server.config.auth.issuer)
    .setAudience(server.config.auth.audience)
    .setIssuedAt(now - 600)
    .setExpirationTime(now - 120)
    .setJti(randomUUID())
    .sign(key);
}

const SCENARIOS: Partial<Record<AuditEventType, () => Promise<unknown>>> = {
  "auth.login.success": async () => {
    const u = await registerAndLogin(server);
    await login(server, u);
  },
  "auth.login.failed": async () => {
    const u = await registerAndLogin(server);
    await attempt(anonymous(server).login({ username: u.username, password: "wrong password 123" }));
  },
  "auth.logout": async () => {
    const u = await registerAndLogin(server);
    await auth(u).logout({ refreshToken: u.refreshToken });
  },
  "auth.token.created": () => registerAndLogin(server),
  "auth.token.refreshed": async () => {
    const u = await registerAndLogin(server);
    await anonymous(server).refresh({ refreshToken: u.refreshToken });
  },
  "auth.token.expired": async () => {
    const u = await registerAndLogin(server);
    await attempt(createClient(AuthService, bearerTransport(server, await expiredToken(u))).getCurrentUser({}));
  },
  "auth.token.invalid": () =>
    attempt(createClient(AuthService, bearerTransport(server, "not-a-token")).getCurrentUser({})),
  "auth.token.reuse_detected": async () => {
    const u = await registerAndLogin(server);
    await anonymous(server).refresh({ refreshToken: u.refreshToken });
    await attempt(anonymous(server).refresh({ refreshToken: u.refreshToken }));
  },
  "auth.apikey.created": async () => auth(await registerAndLogin(server)).createApiKey({ name: "k" }),
  "auth.apikey.listed": async () => auth(await registerAndLogin(server)).listApiKeys({}),
  "auth.apikey.revoked": async () => {
    const c = auth(await registerAndLogin(server));
    const { apiKey } = await c.createApiKey({ name: "k" });
    await c.revokeApiKey({ id: apiKey!.id });
  },
  "end_user.created": async () => endUsers(await registerAndLogin(server)).createEndUser({ endUserId: "eu-1" }),
  "end_user.retrieved": async () => endUsers(await registerAndLogin(server)).listEndUsers({}),
  "end_user.deleted": async () => {
    const c = endUsers(await registerAndLogin(server));
    await c.createEndUser({ endUserId: "eu-1" });
    await c.deleteEndUser({ endUserId: "eu-1" });
  },
  "auth.end_user_token.issued": async () =>
    endUsers(await registerAndLogin(server)).issueEndUserToken({ endUserId: "eu-1" }),
  "auth.end_user_token.revoked": async () => {
    const c = endUsers(await registerAndLogin(server));
    await c.createEndUser({ endUserId: "eu-1" });
    await c.revokeEndUserTokens({ endUserId: "eu-1" });
  },
  "user.retrieved": async () => auth(await registerAndLogin(server)).getCurrentUser({}),
  "user.created": () => registerAndLogin(server),
  "user.deleted": async () => auth(root).deleteUser({ userId: (await registerAndLogin(server)).userId }),
  "user.password.changed": async () =>
    auth(await registerAndLogin(server)).changePassword({
      oldPassword: TEST_PASSWORD,
      newPassword: "another long passphrase 77",
    }),
  "user.activated": async () => {
    const u = await registerAndLogin(server);
    await auth(root).setUserActive({ userId: u.userId, active: false });
    await auth(root).setUserActive({ userId: u.userId, active: true });
  },
  "user.deactivated": async () =>
    auth(root).setUserActive({ userId: (await registerAndLogin(server)).userId, active: false }),
  "user.roles.changed": async () =>
    auth(root).setUserRoles({ userId: (await registerAndLogin(server)).userId, roles: [Role.READ_ONLY] }),
  "memory.created": async () => (await memories()).createMemory({ content: "prefers trains" }),
  "memory.retrieved": async () => {
    const { c, id } = await withMemory();
    await c.getMemory({ id });
  },
  "memory.searched": async () => {
    const { c } = await withMemory();
    await c.searchMemories({ query: "peanuts" });
  },
  "memory.updated": async () => {
    const { c, id } = await withMemory();
    await c.updateMemory({ id, updateMask: { paths: ["content"] }, content: "allergic to nothing" });
  },
  "memory.deleted": async () => {
    const { c, id } = await withMemory();
    await c.deleteMemory({ id });
  },
  "memory.exported": async () => {
    const { c } = await withMemory();
    for await (const _ of c.exportMemories({})) void _;
  },
  "cluster.retrieved": async () => {
    const { c } = await withMemory();
    await c.listClusters({});
  },
  "cluster.rebuilt": async () => {
    const { c } = await withMemory();
    await c.rebuildClusters({});
  },
  // attempt(): the row is written in the policy run's transaction; the RPC's own answer is not the subject here.
  "policy.executed": async () => {
    await withMemory();
    await attempt(root.client(MemoryService).runPolicies({ dryRun: false }));
  },
  "policy.failed": async () => {
    // A policy run that cannot read the memories table fails, and says so.
    await withMemory();
    await asOwner(server, (sql) => sql`revoke select on memories from memoric_app`);
    try {
      expect(await attempt(root.client(MemoryService).runPolicies({ dryRun: false }))).toBe(Code.Internal);
    } finally {
      await asOwner(server, (sql) => sql`grant select on memories to memoric_app`);
    }
  },
  "system.key.rotated": async () => {
    // memoric keys add + promote + rewrap: rewrap records the rotation.
    await withMemory();
    const added = await keysAdd(secrets.keyring!.toBase64());
    const promoted = await keysPromote(added.keyset, added.keyId);
    const result = await keysRewrap({
      sql: server.db.sql,
      keysetBase64: promoted.keyset,
      audit: createAuditWriter({ sql: server.db.sql, config: server.config.audit }),
    });
    expect(result.failedUsers).toEqual([]);
    expect(result.userKeysRewrapped).toBeGreaterThan(0);
    // Rotate back so the running server (which only knows its original keyset) reads every key again.
    const back = await keysPromote(promoted.keyset, secrets.keyring!.primaryKeyId);
    await keysRewrap({ sql: server.db.sql, keysetBase64: back.keyset });
  },
  "system.index.rebuilt": async () => {
    await withMemory();
    const result = await indexRebuild({
      sql: server.db.sql,
      keysetBase64: secrets.keyring!.toBase64(),
      audit: createAuditWriter({ sql: server.db.sql, config: server.config.audit }),
    });
    expect(result.failedOwners).toEqual([]);
  },
  "authz.access.granted": () => auth(root).getCurrentUser({}), // MEMORIC_AUDIT_LOG_GRANTED=on for this server
  "authz.access.denied": async () => attempt((await registerAndLogin(server)).client(AuditService).listEventTypes({})),
  "system.startup": async () => {}, // written when the server started
  "system.error": async () => {
    // An unexpected database error (not a ConnectError) inside a handler is a system error.
    const u = await registerAndLogin(server);
    await asOwner(server, (sql) => sql`revoke select on api_keys from memoric_app`);
    try {
      expect(await attempt(auth(u).listApiKeys({}))).toBe(Code.Internal);
    } finally {
      await asOwner(server, (sql) => sql`grant select on api_keys to memoric_app`);
    }
  },
  "security.account.locked": async () => {
    const u = await registerAndLogin(server);
    for (let i = 0; i < 2; i++)
      await attempt(anonymous(server).login({ username: u.username, password: "wrong password 123" }));
  },
  "security.rate_limit.exceeded": async () => {
    const u = await registerAndLogin(server);
    for (let i = 0; i < 3; i++)
      await attempt(anonymous(server).login({ username: u.username, password: "wrong password 123" }));
  },
  "security.breach.attempt": async () => {
    // Algorithm confusion: an unsigned ("alg": "none") token claiming to be the admin.
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: root.userId,
      roles: ["ADMIN"],
      ver: 0,
      sid: randomUUID(),
      jti: randomUUID(),
      iat: now,
      exp: now + 600,
      iss: server.config.auth.issuer,
      aud: server.config.auth.audience,
    };
    const forged = `${b64({ alg: "none", typ: "at+jwt" })}.${b64(claims)}.`;
    expect(await attempt(createClient(AuthService, bearerTransport(server, forged)).listUsers({}))).toBe(
      Code.Unauthenticated,
    );
  },
  // The outcome event of SetUserActive when it changes nothing (here: no such user); success is refined to
  // activated/deactivated.
  "user.updated": async () =>
    expect(await attempt(auth(root).setUserActive({ userId: randomUUID(), active: false }))).toBe(Code.NotFound),
  "audit.queried": () => root.client(AuditService).getSecurityEvents({}),
  "audit.verified": () => root.client(AuditService).verifyAuditChain({}),
  "security.suspicious.activity": async () => {
    // Retention (here run as if 400 days had passed) finds an edited row in the prefix it would delete.
    await writeCheckpoint(server.db.sql, secrets.auditKey);
    await asOwner(server, (sql) =>
      tamper(
        sql,
        (tx) => tx`update audit_log set code = 'edited' where id = (select id from audit_log order by time limit 1)`,
      ),
    );
    const deps = {
      config: server.config,
      logger: createLogger("silent"),
      secrets,
      db: server.db,
      audit: createAuditWriter({ sql: server.db.sql, config: server.config.audit }),
    };
    const r = await runRetention(deps, new Date(Date.now() + 400 * 86_400_000));
    expect(r.skipped).toHaveLength(1);
  },
};

const TODO: Partial<Record<AuditEventType, string>> = {
  "system.shutdown": "covered by test/e2e/audit-lifecycle.test.ts (needs a stopped server)",
};

async function count(type: AuditEventType): Promise<number> {
  const [row] = await asOwner(
    server,
    (sql) => sql<{ n: string }[]>`select count(*) as n from audit_log where event_type = ${type}`,
  );
  return Number(row!.n);
}

describe("every event type has its scenario", () => {
  for (const type of AUDIT_EVENT_TYPES) {
    const scenario = SCENARIOS[type];
    if (!scenario) {
      it.todo(`${type}: ${TODO[type] ?? "NO SCENARIO"}`);
      continue;
    }
    it(`${type} is produced by its scenario`, async () => {
      const before = type === "system.startup" ? 0 : await count(type);
      await scenario();
      expect(await count(type)).toBeGreaterThan(before);
    });
  }

  it("the table covers the taxonomy exactly", () => {
    const covered = [...Object.keys(SCENARIOS), ...Object.keys(TODO)].sort();
    expect(covered).toEqual([...AUDIT_EVENT_TYPES].sort());
  });
});
