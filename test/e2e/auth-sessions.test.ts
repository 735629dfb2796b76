/**
 * Spec: the session lifecycle of AuthService through real transports — registration (always USER),
 * login, immediate revocation (logout, logout-all, password change, role downgrade, deactivation,
 * deletion), refresh rotation with reuse detection, API keys, and the admin RPCs.
 */
import { create } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService, RegisterRequestSchema, Role } from "../../gen/memoric/v1/auth_pb.js";
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

let server: TestServer;
let root: TestUser;

beforeAll(async () => {
  // Generous anonymous budget: this file registers and logs in a lot; limits are auth-abuse's subject.
  server = await startTestServer({ MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000" });
  root = await admin(server);
});
afterAll(async () => {
  await server?.close();
});

const as = (token: string) => createClient(AuthService, bearerTransport(server, token));
const auth = () => anonymous(server);
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );
const works = async (token: string) => expect(await codeOf(as(token).getCurrentUser({}))).toBeUndefined();
const fails = async (token: string) => expect(await codeOf(as(token).getCurrentUser({}))).toBe(Code.Unauthenticated);
const refreshFails = async (refreshToken: string) =>
  expect(await codeOf(auth().refresh({ refreshToken }))).toBe(Code.Unauthenticated);
const unique = (p: string) => `${p}${Math.random().toString(36).slice(2, 9)}`;

describe("Register", () => {
  it("ignores privileged fields sent as raw Connect JSON: the account is USER, never ADMIN", async () => {
    const username = unique("json");
    const res = await fetch(`${server.url}/memoric.v1.AuthService/Register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        username,
        email: `${username}@example.com`,
        password: TEST_PASSWORD,
        roles: ["ROLE_ADMIN"],
        role: "ADMIN",
        is_admin: true,
        active: true,
      }),
    });
    // Connect may refuse unknown JSON fields outright; either way no admin comes out of it.
    if (res.status !== 200) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
      return;
    }
    expect(((await res.json()) as { user: { roles: string[] } }).user.roles).toEqual(["ROLE_USER"]);
    const me = await login(server, { userId: "", username, email: `${username}@example.com`, password: TEST_PASSWORD });
    const current = await me.client(AuthService).getCurrentUser({});
    expect(current.user?.roles).toEqual([Role.USER]);
    expect(current.permissions).not.toContain("users:manage");
  });

  it("ignores unknown protobuf fields (a smuggled roles=ROLE_ADMIN field) over gRPC", async () => {
    const username = unique("bin");
    const req = create(RegisterRequestSchema, { username, email: `${username}@example.com`, password: TEST_PASSWORD });
    req.$unknown = [
      { no: 5, wireType: WireType.Varint, data: new Uint8Array([Role.ADMIN]) },
      { no: 99, wireType: WireType.Varint, data: new Uint8Array([1]) },
    ];
    const { user } = await auth().register(req);
    expect(user?.roles).toEqual([Role.USER]);
  });

  it.each([
    ["a too-short username", { username: "ab" }],
    ["a username with spaces", { username: "bad name" }],
    ["a username with SQL", { username: "x';drop table users;--" }],
    ["a bad email", { email: "not-an-email" }],
    ["an email without a domain dot", { email: "a@localhost" }],
    ["a short password", { password: "short" }],
    ["a common password", { password: "qwerty123456" }],
    ["a password containing the username", { password: "USERNAME-and-more-words" }],
    ["a password over 72 bytes", { password: "é".repeat(37) }],
    ["a password with a control character", { password: "correct horse\u0000battery" }],
  ])(
    "rejects %s with InvalidArgument",
    async (_, override: { username?: string; email?: string; password?: string }) => {
      const username = override.username ?? unique("v");
      const password = override.password?.replace("USERNAME", username) ?? TEST_PASSWORD;
      const err = await codeOf(
        auth().register({ username, email: override.email ?? `${username}@example.com`, password }),
      );
      expect(err).toBe(Code.InvalidArgument);
    },
  );

  it("refuses a duplicate username or email (case-insensitively) with AlreadyExists", async () => {
    const u = await registerAndLogin(server);
    expect(
      await codeOf(
        auth().register({ username: u.username.toUpperCase(), email: `other-${u.email}`, password: TEST_PASSWORD }),
      ),
    ).toBe(Code.AlreadyExists);
    expect(
      await codeOf(auth().register({ username: unique("d"), email: u.email.toUpperCase(), password: TEST_PASSWORD })),
    ).toBe(Code.AlreadyExists);
  });
});

describe("Login", () => {
  it("accepts the username or the email", async () => {
    const u = await registerAndLogin(server);
    const byName = await auth().login({ username: u.username, password: u.password });
    const byEmail = await auth().login({ email: u.email, password: u.password });
    expect(byName.user?.id).toBe(u.userId);
    expect(byEmail.user?.id).toBe(u.userId);
    expect(byName.tokenType).toBe("Bearer");
    await works(byEmail.accessToken);
  });
});

describe("revocation is immediate", () => {
  it("Logout ends this session only: its access and refresh tokens die, other sessions live", async () => {
    const s1 = await registerAndLogin(server);
    const s2 = await login(server, s1);
    expect((await as(s1.token).logout({})).revokedSessions).toBe(1);
    await fails(s1.token);
    await refreshFails(s1.refreshToken);
    await works(s2.token);
  });

  it("Logout of all sessions kills every access and refresh token of the user", async () => {
    const s1 = await registerAndLogin(server);
    const s2 = await login(server, s1);
    expect((await as(s1.token).logout({ allSessions: true })).revokedSessions).toBeGreaterThanOrEqual(2);
    for (const s of [s1, s2]) {
      await fails(s.token);
      await refreshFails(s.refreshToken);
    }
  });

  it("ChangePassword: old tokens and other sessions die, new pair works, only the new password logs in", async () => {
    const s1 = await registerAndLogin(server);
    const s2 = await login(server, s1);
    const newPassword = "a completely new passphrase 77";
    expect(await codeOf(as(s1.token).changePassword({ oldPassword: "wrong old password!", newPassword }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(as(s1.token).changePassword({ oldPassword: s1.password, newPassword: "qwerty123456" }))).toBe(
      Code.InvalidArgument,
    );
    const fresh = await as(s1.token).changePassword({ oldPassword: s1.password, newPassword });
    for (const s of [s1, s2]) {
      await fails(s.token);
      await refreshFails(s.refreshToken);
    }
    await works(fresh.accessToken);
    await works((await auth().refresh({ refreshToken: fresh.refreshToken })).accessToken);
    expect(await codeOf(auth().login({ username: s1.username, password: s1.password }))).toBe(Code.Unauthenticated);
    await works((await auth().login({ username: s1.username, password: newPassword })).accessToken);
  });

  it("a role downgrade by an admin kills the old token; the API key shrinks with its owner", async () => {
    const u = await registerAndLogin(server);
    const { key } = await u.client(AuthService).createApiKey({ name: "all-of-mine" }); // no scopes = the owner's
    const updated = await root.client(AuthService).setUserRoles({ userId: u.userId, roles: [Role.READ_ONLY] });
    expect(updated.user?.roles).toEqual([Role.READ_ONLY]);
    await fails(u.token);
    expect((await as(key).getCurrentUser({})).permissions.sort()).toEqual([
      "clusters:read",
      "end_users:read",
      "memories:read",
    ]);
    expect(await codeOf(as(key).createApiKey({ name: "x" }))).toBe(Code.PermissionDenied);
    const again = await login(server, u);
    expect((await again.client(AuthService).getCurrentUser({})).permissions.sort()).toEqual([
      "clusters:read",
      "end_users:read",
      "memories:read",
    ]);
  });

  it("deactivation kills the access token, the refresh token and the API keys; login is refused", async () => {
    const u = await registerAndLogin(server);
    const { key } = await u.client(AuthService).createApiKey({ name: "k" });
    await root.client(AuthService).setUserActive({ userId: u.userId, active: false });
    await fails(u.token);
    await refreshFails(u.refreshToken);
    await fails(key);
    expect(await codeOf(auth().login({ username: u.username, password: u.password }))).toBe(Code.Unauthenticated);
  });

  it("DeleteUser kills every credential and the account", async () => {
    const u = await registerAndLogin(server);
    const { key } = await u.client(AuthService).createApiKey({ name: "k" });
    await root.client(AuthService).deleteUser({ userId: u.userId });
    await fails(u.token);
    await refreshFails(u.refreshToken);
    await fails(key);
    expect(await codeOf(auth().login({ username: u.username, password: u.password }))).toBe(Code.Unauthenticated);
    expect(await codeOf(root.client(AuthService).deleteUser({ userId: u.userId }))).toBe(Code.NotFound);
  });
});

describe("refresh rotation", () => {
  it("rotates: the new pair works and differs from the old one", async () => {
    const u = await registerAndLogin(server);
    const next = await auth().refresh({ refreshToken: u.refreshToken });
    expect(next.refreshToken).not.toBe(u.refreshToken);
    expect(next.tokenType).toBe("Bearer");
    await works(next.accessToken);
  });

  it("reuse of a rotated token is refused and revokes its whole family, not the user's other sessions", async () => {
    const u = await registerAndLogin(server);
    const other = await login(server, u);
    const next = await auth().refresh({ refreshToken: u.refreshToken });
    await refreshFails(u.refreshToken); // reuse
    await refreshFails(next.refreshToken); // the token it was rotated to
    await fails(next.accessToken);
    await works(other.token);
    await works((await auth().refresh({ refreshToken: other.refreshToken })).accessToken);
  });

  it("of parallel refreshes with one token, exactly one succeeds", async () => {
    const u = await registerAndLogin(server);
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => auth().refresh({ refreshToken: u.refreshToken })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(ConnectError.from(r.reason).code).toBe(Code.Unauthenticated);
  });

  it("refuses an unknown or empty refresh token", async () => {
    await refreshFails("x".repeat(43));
    expect(await codeOf(auth().refresh({ refreshToken: "" }))).toBe(Code.InvalidArgument);
  });
});

describe("API keys", () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await registerAndLogin(server);
  });

  it("must be scoped within the owner's permissions: wider → PermissionDenied, unknown → InvalidArgument", async () => {
    const keys = owner.client(AuthService);
    expect(await codeOf(keys.createApiKey({ name: "wide", scopes: ["memories:read", "users:manage"] }))).toBe(
      Code.PermissionDenied,
    );
    expect(await codeOf(keys.createApiKey({ name: "odd", scopes: ["memories:*"] }))).toBe(Code.InvalidArgument);
    expect(await codeOf(keys.createApiKey({ name: "", scopes: ["memories:read"] }))).toBe(Code.InvalidArgument);
  });

  it("works as a bearer credential, with exactly its scope", async () => {
    const { key, apiKey } = await owner.client(AuthService).createApiKey({ name: "reader", scopes: ["memories:read"] });
    expect(key).toMatch(/^mk_/);
    expect(apiKey?.scopes).toEqual(["memories:read"]);
    const me = await as(key).getCurrentUser({});
    expect(me.principalType).toBe("api_key");
    expect(me.user?.id).toBe(owner.userId);
    expect(me.permissions).toEqual(["memories:read"]);
  });

  it("a key cannot mint a wider key", async () => {
    const { key } = await owner
      .client(AuthService)
      .createApiKey({ name: "manager", scopes: ["keys:manage", "memories:read"] });
    expect(await codeOf(as(key).createApiKey({ name: "wider", scopes: ["memories:write"] }))).toBe(
      Code.PermissionDenied,
    );
    const child = await as(key).createApiKey({ name: "child" });
    expect(child.apiKey?.scopes.sort()).toEqual(["keys:manage", "memories:read"]);
  });

  it("is listed with its metadata and last use, never its secret", async () => {
    const { key, apiKey } = await owner.client(AuthService).createApiKey({ name: "listed", scopes: ["memories:read"] });
    await works(key);
    const { apiKeys } = await owner.client(AuthService).listApiKeys({});
    const listed = apiKeys.find((k) => k.id === apiKey!.id)!;
    expect(listed).toMatchObject({
      name: "listed",
      prefix: key.slice(0, 10),
      scopes: ["memories:read"],
      revoked: false,
    });
    expect(listed.lastUsedAt).toBeDefined();
    expect(JSON.stringify(apiKeys, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
      key.slice(10),
    );
    const stored = await asOwner(server, (sql) => sql`select key_hash from api_keys where id = ${apiKey!.id}`);
    expect(stored[0]!.key_hash).not.toContain(key.slice(3));
  });

  it("stops working the moment it is revoked", async () => {
    const { key, apiKey } = await owner.client(AuthService).createApiKey({ name: "doomed" });
    await works(key);
    await owner.client(AuthService).revokeApiKey({ id: apiKey!.id });
    await fails(key);
    expect((await owner.client(AuthService).listApiKeys({})).apiKeys.find((k) => k.id === apiKey!.id)?.revoked).toBe(
      true,
    );
  });

  it("stops working after its ttl", async () => {
    const { key } = await owner.client(AuthService).createApiKey({ name: "brief", ttl: { seconds: 1n, nanos: 0 } });
    await works(key);
    await new Promise((r) => setTimeout(r, 2_000));
    await fails(key);
  });

  it("cannot end sessions or change the password (user-session RPCs)", async () => {
    const { key } = await owner.client(AuthService).createApiKey({ name: "full" });
    expect(
      await codeOf(as(key).changePassword({ oldPassword: owner.password, newPassword: "another long passphrase 9" })),
    ).toBe(Code.PermissionDenied);
    expect(await codeOf(as(key).logout({ allSessions: true }))).toBe(Code.PermissionDenied);
    await works(owner.token);
  });
});

describe("admin RPCs", () => {
  it("ListUsers pages through every user exactly once, with the total", async () => {
    await Promise.all(Array.from({ length: 5 }, () => registerAndLogin(server)));
    const [row] = await asOwner(server, (sql) => sql<{ n: number }[]>`select count(*)::int as n from users`);
    const n = row!.n;
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await root.client(AuthService).listUsers({ pageSize: 2, pageToken });
      expect(page.users.length).toBeLessThanOrEqual(2);
      expect(Number(page.totalSize)).toBe(n);
      seen.push(...page.users.map((u) => u.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken && pages < 1000);
    expect(seen).toHaveLength(n);
    expect(new Set(seen).size).toBe(n);
    expect(pages).toBe(Math.ceil(n / 2));
  });

  it("ListUsers refuses a bad page_token or page_size with InvalidArgument", async () => {
    const admin = root.client(AuthService);
    const token = (t: unknown, id: unknown) => Buffer.from(JSON.stringify({ v: 1, t, id })).toString("base64url");
    const badTokens = [
      "garbage!!",
      token("yesterday", "x' or 1=1"),
      token("2024-02-30T00:00:00.000000Z", crypto.randomUUID()),
      token(42, crypto.randomUUID()),
      token("2024-01-01T00:00:00.000000Z", { id: 1 }),
    ];
    for (const req of [...badTokens.map((pageToken) => ({ pageToken })), { pageSize: -1 }, { pageSize: 100_000 }]) {
      expect(await codeOf(admin.listUsers(req)), JSON.stringify(req)).toBe(Code.InvalidArgument);
    }
  });

  it("an admin cannot remove their own ADMIN role, deactivate or delete themselves", async () => {
    const admin = root.client(AuthService);
    expect(await codeOf(admin.setUserRoles({ userId: root.userId, roles: [Role.USER] }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(admin.setUserRoles({ userId: root.userId.toUpperCase(), roles: [Role.READ_ONLY] }))).toBe(
      Code.FailedPrecondition,
    );
    expect(await codeOf(admin.setUserActive({ userId: root.userId, active: false }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(admin.deleteUser({ userId: root.userId.toUpperCase() }))).toBe(Code.FailedPrecondition);
    expect((await admin.getCurrentUser({})).user).toMatchObject({ roles: [Role.ADMIN], active: true });
  });

  it("SetUserRoles refuses an empty or unspecified role list, and an unknown user", async () => {
    const admin = root.client(AuthService);
    const u = await registerAndLogin(server);
    expect(await codeOf(admin.setUserRoles({ userId: u.userId, roles: [] }))).toBe(Code.InvalidArgument);
    expect(await codeOf(admin.setUserRoles({ userId: u.userId, roles: [Role.UNSPECIFIED] }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(admin.setUserRoles({ userId: crypto.randomUUID(), roles: [Role.USER] }))).toBe(Code.NotFound);
    await works(u.token);
  });
});
