/**
 * Spec: no default accounts. The first admin comes from MEMORIC_BOOTSTRAP_ADMIN_* at start-up
 * (idempotent across restarts, same password policy) or from `memoric users create`.
 */
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService, Role } from "../../gen/memoric/v1/auth_pb.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { asOwner } from "../support/identity.js";
import { testSecretsEnv } from "../support/secrets.js";
import { startTestServer } from "../support/server.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ADMIN = {
  MEMORIC_BOOTSTRAP_ADMIN_USERNAME: "root-admin",
  MEMORIC_BOOTSTRAP_ADMIN_EMAIL: "root@example.com",
  MEMORIC_BOOTSTRAP_ADMIN_PASSWORD: "a long bootstrap passphrase 7",
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("bootstrap admin", () => {
  it("starts with no accounts at all", async () => {
    const server = await startTestServer({}, db);
    try {
      const [row] = await asOwner(server, (sql) => sql<{ n: number }[]>`select count(*)::int as n from users`);
      const n = row?.n;
      expect(n).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it("creates the admin once and is idempotent across restarts", async () => {
    for (let restart = 0; restart < 2; restart++) {
      const server = await startTestServer(ADMIN, db);
      try {
        const auth = createClient(AuthService, createGrpcTransport({ baseUrl: server.url }));
        const res = await auth.login({
          username: ADMIN.MEMORIC_BOOTSTRAP_ADMIN_USERNAME,
          password: ADMIN.MEMORIC_BOOTSTRAP_ADMIN_PASSWORD,
        });
        expect(res.user?.roles).toEqual([Role.ADMIN]);
        const [row] = await asOwner(
          server,
          (sql) => sql<{ n: number }[]>`select count(*)::int as n from users where username = 'root-admin'`,
        );
        const n = row?.n;
        expect(n).toBe(1);
      } finally {
        await server.stop();
      }
    }
  });

  it("refuses to start with a bootstrap password that breaks the policy", async () => {
    const err = await startTestServer(
      {
        ...ADMIN,
        MEMORIC_BOOTSTRAP_ADMIN_USERNAME: "other-admin",
        MEMORIC_BOOTSTRAP_ADMIN_EMAIL: "o@example.com",
        MEMORIC_BOOTSTRAP_ADMIN_PASSWORD: "password",
      },
      db,
    ).catch((e: unknown) => e);
    expect(String(err)).toMatch(/MEMORIC_BOOTSTRAP_ADMIN/);
  });

  it("refuses a partial bootstrap configuration, naming the missing variable", async () => {
    const err = await startTestServer({ MEMORIC_BOOTSTRAP_ADMIN_USERNAME: "x-admin" }, db).catch((e: unknown) => e);
    expect(String(err)).toMatch(/MEMORIC_BOOTSTRAP_ADMIN_EMAIL/);
  });
});

describe("memoric users create (CLI)", () => {
  it("creates an admin from a password on stdin, who can then log in", async () => {
    const env = {
      ...process.env,
      ...(await testSecretsEnv()),
      MEMORIC_DATA_DIR: db.dataDir,
      MEMORIC_BCRYPT_COST: "10",
      DATABASE_URL: db.databaseUrl ?? "",
    };
    const password = "cli created passphrase 55";
    const out = spawnSync(
      process.execPath,
      ["bin/memoric.js", "users", "create", "--username", "cli-admin", "--email", "ops@example.com", "--role", "ADMIN"],
      { cwd: ROOT, env, input: `${password}\n`, encoding: "utf8" },
    );
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/created cli-admin .* with role ADMIN/);

    const weak = spawnSync(
      process.execPath,
      ["bin/memoric.js", "users", "create", "--username", "cli-weak", "--email", "w@example.com"],
      { cwd: ROOT, env, input: "password\n", encoding: "utf8" },
    );
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/password/i);

    const server = await startTestServer({}, db);
    try {
      const auth = createClient(AuthService, createGrpcTransport({ baseUrl: server.url }));
      const res = await auth.login({ username: "cli-admin", password });
      expect(res.user?.roles).toEqual([Role.ADMIN]);
      await expect(auth.login({ username: "cli-weak", password: "password" })).rejects.toMatchObject({
        code: Code.Unauthenticated,
      });
    } finally {
      await server.stop();
    }
  });
});
