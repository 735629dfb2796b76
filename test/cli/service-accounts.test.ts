/**
 * Spec: `memoric users create-service-account NAME [--roles ...] [--key-name ...] [--email ...]`
 * creates a backend's account and its first API key, printing the key once (the last line of the
 * output); the key then works against the server, the account cannot log in, and the creation is
 * audited as the CLI's. ADMIN, unknown roles and taken names are refused (exit 1); a missing or extra
 * username is a usage error (exit 2).
 */
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService, Role } from "../../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { createTestDatabase, testMode, type TestDatabase } from "../support/database.js";
import { runMemoric } from "../support/cli.js";
import { caller } from "../support/end-users.js";
import { asOwner } from "../support/identity.js";
import { testSecretsEnv } from "../support/secrets.js";
import { startTestServer } from "../support/server.js";

let db: TestDatabase;
let env: NodeJS.ProcessEnv;

const memoric = (...args: string[]) => runMemoric(args, { env });

beforeAll(async () => {
  db = await createTestDatabase();
  env = {
    ...process.env,
    ...(await testSecretsEnv()),
    MEMORIC_DATA_DIR: db.dataDir,
    DATABASE_URL: db.databaseUrl ?? "",
  };
});
afterAll(async () => {
  await db.drop();
});

describe(`memoric users create-service-account (${testMode})`, () => {
  let key: string;

  it("creates the account and prints its API key once, on the last line", { timeout: 60_000 }, async () => {
    const out = await memoric(
      "users",
      "create-service-account",
      "checkout-backend",
      "--roles",
      "USER",
      "--key-name",
      "prod",
    );
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    const lines = out.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^created service account checkout-backend \([0-9a-f-]{36}\) with role USER$/);
    expect(lines[1]).toMatch(/^API key "prod" \([0-9a-f-]{36}\), shown once/);
    key = lines.at(-1)!;
    expect(key).toMatch(/^mk_/);
  });

  // Each case spawns the CLI (seconds apiece on a loaded machine).
  it("refuses ADMIN, unknown roles and a taken name (exit 1, nothing printed on stdout)", {
    timeout: 120_000,
  }, async () => {
    for (const [args, message] of [
      [["svc-admin", "--roles", "ADMIN"], /cannot be ADMIN/],
      [["svc-odd", "--roles", "USER,WIZARD"], /--roles/],
      [["checkout-backend"], /already registered/],
    ] as const) {
      const out = await memoric("users", "create-service-account", ...args);
      expect(out.status, args.join(" ")).toBe(1);
      expect(out.stdout).toBe("");
      expect(out.stderr).toMatch(message);
    }
  });

  it("a missing or second username is a usage error (exit 2)", { timeout: 60_000 }, async () => {
    for (const args of [["one", "two"]]) {
      const out = await memoric("users", "create-service-account", ...args);
      expect(out.status).toBe(2);
      expect(out.stderr).toMatch(/exactly one username/);
    }
  });

  it("the printed key works; the account is a service account that cannot log in; the CLI is audited", async () => {
    const server = await startTestServer({}, db);
    try {
      const backend = caller(server, key);
      const me = await backend.client(AuthService).getCurrentUser({});
      expect(me.user).toMatchObject({ username: "checkout-backend", serviceAccount: true, roles: [Role.USER] });
      const written = await backend
        .client(MemoryService)
        .createMemory({ endUserId: "customer-1", content: "first order placed" });
      expect(written.memory!.endUserId).toBe("customer-1");
      expect((await backend.client(EndUserService).listEndUsers({})).endUsers.map((u) => u.endUserId)).toEqual([
        "customer-1",
      ]);
      const auth = createClient(AuthService, createGrpcTransport({ baseUrl: server.url }));
      await expect(auth.login({ username: "checkout-backend", password: "any password 123" })).rejects.toMatchObject({
        code: Code.Unauthenticated,
      });
      const rows = await asOwner(
        server,
        (sql) => sql<{ event_type: string; principal_type: string; details: { actor?: string } }[]>`
          select event_type, principal_type, details from audit_log
          where event_type in ('user.created', 'auth.apikey.created') order by time, seq`,
      );
      expect(rows.map((r) => [r.event_type, r.principal_type, r.details.actor])).toEqual([
        ["user.created", "system", "cli"],
        ["auth.apikey.created", "system", "cli"],
      ]);
      const text = JSON.stringify(await asOwner(server, (sql) => sql`select * from audit_log`));
      expect(text).not.toContain(key);
    } finally {
      await server.stop();
    }
  });
});
