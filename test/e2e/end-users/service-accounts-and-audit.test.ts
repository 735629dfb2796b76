/**
 * Spec: a service account is a backend's identity — made by an admin, never ADMIN itself, API keys
 * only (Login fails exactly as for an unknown name) — and the audit log of calls made for end users
 * names each end user by its internal id, never by the backend's external id.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService, Role } from "../../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import { testMode } from "../../support/database.js";
import {
  codeOf,
  delegate,
  errorOf,
  serviceAccount,
  violatedFields,
  type ServiceAccount,
} from "../../support/end-users.js";
import { admin, anonymous, asOwner, registerAndLogin, type TestUser } from "../../support/identity.js";
import { startTestServer, type TestServer } from "../../support/server.js";

let server: TestServer;
let root: TestUser;
let backend: ServiceAccount;

beforeAll(async () => {
  server = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "100000", MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000" });
  root = await admin(server);
  backend = await serviceAccount(server, root);
});
afterAll(async () => {
  await server?.close();
});

describe(`service accounts (${testMode})`, () => {
  it("are made by an admin with a working API key, and say they are service accounts", async () => {
    const me = await backend.client(AuthService).getCurrentUser({});
    expect(me.user).toMatchObject({ id: backend.userId, username: backend.username, serviceAccount: true });
    expect(me.user!.roles).toEqual([Role.USER]);
  });

  it("cannot log in: Unauthenticated, with the very message an unknown name gets", async () => {
    const asService = await errorOf(
      anonymous(server).login({ username: backend.username, password: "anything 12345" }),
    );
    const unknown = await errorOf(anonymous(server).login({ username: "nobody-at-all", password: "anything 12345" }));
    expect(asService?.code).toBe(Code.Unauthenticated);
    expect(asService?.rawMessage).toBe(unknown?.rawMessage);
    // Not with an empty password either (the stored hash is empty).
    expect(await codeOf(anonymous(server).login({ username: backend.username, password: "" }))).toBe(
      Code.InvalidArgument,
    );
  });

  it("ADMIN is refused (InvalidArgument on roles); only admins create them", async () => {
    const err = await errorOf(
      root.client(AuthService).createServiceAccount({ username: "svc-root", roles: [Role.ADMIN] }),
    );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(violatedFields(err)).toEqual(["roles"]);
    const user = await registerAndLogin(server);
    expect(await codeOf(user.client(AuthService).createServiceAccount({ username: "svc-mine" }))).toBe(
      Code.PermissionDenied,
    );
    expect(await codeOf(backend.client(AuthService).createServiceAccount({ username: "svc-child" }))).toBe(
      Code.PermissionDenied,
    );
  });
});

describe(`audit rows of calls made for end users (${testMode})`, () => {
  const EXTERNAL = "audited.person+tag@customer.example";

  it("carry details.end_user = the internal id, and the external id appears in no audit row at all", async () => {
    const created = await backend.endUsers.createEndUser({ endUserId: EXTERNAL });
    const internal = created.endUser!.id;
    const { memory } = await backend.memories.createMemory({ endUserId: EXTERNAL, content: "audited write" });
    const token = (await delegate(server, backend, EXTERNAL)).client(MemoryService);
    await token.getMemory({ id: memory!.id });
    await token.searchMemories({ query: "audited" });
    await backend.endUsers.revokeEndUserTokens({ endUserId: EXTERNAL });

    const rows = await asOwner(
      server,
      (sql) => sql<
        {
          event_type: string;
          principal_type: string;
          resource_id: string | null;
          details: { end_user?: string };
          text: string;
        }[]
      >`
        select event_type, principal_type, resource_id, details, row_to_json(a)::text as text
        from audit_log a where principal_id = ${backend.userId} order by shard, seq`,
    );
    const byEvent = (type: string, principal = "api_key") =>
      rows.filter((r) => r.event_type === type && r.principal_type === principal);
    expect(byEvent("end_user.created").map((r) => r.resource_id)).toEqual([internal]);
    expect(byEvent("memory.created").map((r) => r.details.end_user)).toEqual([internal]);
    expect(byEvent("auth.end_user_token.issued").map((r) => r.resource_id)).toEqual([internal]);
    expect(byEvent("auth.end_user_token.revoked").map((r) => r.resource_id)).toEqual([internal]);
    const tokenRows = rows.filter((r) => r.principal_type === "end_user");
    expect(tokenRows.map((r) => r.event_type)).toEqual(expect.arrayContaining(["memory.retrieved", "memory.searched"]));
    for (const r of tokenRows) expect(r.details.end_user, r.event_type).toBe(internal);
    for (const r of rows) {
      expect(r.text, r.event_type).not.toContain(EXTERNAL);
      expect(r.text, r.event_type).not.toContain("audited.person");
    }
  });
});
