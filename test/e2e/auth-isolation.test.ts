/**
 * Spec: tenant isolation, in two independent layers. Through the API, user B cannot touch A's rows
 * even with A's ids and tokens in hand. In the database, the runtime role (memoric_app) under
 * FORCEd row-level security sees only the context user's rows, and nothing at all without a
 * context — for every table with a user_id column, including tables added after this file.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { APP_ROLE, inTx, userContext } from "../../src/store/tx.js";
import { testMode } from "../support/database.js";
import { anonymous, asOwner, bearerTransport, registerAndLogin, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let aliceKey: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000" });
  [alice, bob] = await Promise.all([registerAndLogin(server), registerAndLogin(server)]);
  const created = await alice.client(AuthService).createApiKey({ name: "alice's" });
  aliceKey = { id: created.apiKey!.id, key: created.key };
  await bob.client(AuthService).createApiKey({ name: "bob's" });
});
afterAll(async () => {
  await server?.close();
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );

/**
 * The tenant tables, from the catalog: `users` plus every public table with a user_id or account_id
 * column (the owner-led memory tables name their tenant account_id).
 */
async function tenantTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p')
      and (c.relname = 'users' or exists (
        select 1 from pg_attribute a
        where a.attrelid = c.oid and a.attname in ('user_id', 'account_id') and not a.attisdropped))
    order by 1`;
  return rows.map((r) => r.name);
}

/** Runs fn as the runtime role with the given app.user_id (undefined = never set), then rolls back. */
async function asApp<T>(
  sql: postgres.Sql,
  userId: string | undefined,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  let out: T;
  const rollback = new Error("rollback");
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${APP_ROLE}`);
      if (userId !== undefined) await tx`select set_config('app.user_id', ${userId}, true)`;
      out = await fn(tx);
      throw rollback;
    });
  } catch (err) {
    if (err !== rollback) throw err;
  }
  return out!;
}

const ident = (sql: postgres.Sql | postgres.TransactionSql, name: string) => sql(name);

describe(`through the API (${testMode})`, () => {
  it("B cannot revoke A's API key by id: NotFound, and A's key keeps working", async () => {
    expect(await codeOf(bob.client(AuthService).revokeApiKey({ id: aliceKey.id }))).toBe(Code.NotFound);
    const me = await createClient(AuthService, bearerTransport(server, aliceKey.key)).getCurrentUser({});
    expect(me.user?.id).toBe(alice.userId);
  });

  it("B cannot end A's session with A's refresh token: NotFound, and A's session lives on", async () => {
    expect(await codeOf(bob.client(AuthService).logout({ refreshToken: alice.refreshToken }))).toBe(Code.NotFound);
    await expect(alice.client(AuthService).getCurrentUser({})).resolves.toBeDefined();
    const next = await anonymous(server).refresh({ refreshToken: alice.refreshToken });
    alice = { ...alice, refreshToken: next.refreshToken };
  });

  it("B's listings never show A's rows", async () => {
    const { apiKeys } = await bob.client(AuthService).listApiKeys({});
    expect(apiKeys.map((k) => k.id)).not.toContain(aliceKey.id);
    expect(apiKeys.map((k) => k.name)).toEqual(["bob's"]);
    expect((await bob.client(AuthService).getCurrentUser({})).user?.id).toBe(bob.userId);
  });
});

describe(`in the database, under row-level security (${testMode})`, () => {
  it("with B's context, the runtime role sees none of A's rows in the tenant tables — and sees its own", async () => {
    await asOwner(server, (sql) =>
      asApp(sql, bob.userId, async (tx) => {
        expect((await tx<{ u: string }[]>`select current_user as u`)[0]!.u).toBe(APP_ROLE);
        for (const table of ["users", "sessions", "refresh_tokens", "api_keys"]) {
          const col = table === "users" ? "id" : "user_id";
          const [a] = await tx<{ n: number }[]>`
            select count(*)::int as n from ${ident(tx, table)} where ${ident(tx, col)} = ${alice.userId}`;
          const [all] = await tx<{ n: number; foreign: number }[]>`
            select count(*)::int as n, count(*) filter (where ${ident(tx, col)} <> ${bob.userId})::int as foreign
            from ${ident(tx, table)}`;
          expect(a!.n, table).toBe(0);
          expect(all!.foreign, table).toBe(0);
          expect(all!.n, `${table}: B must see its own rows (positive control)`).toBeGreaterThan(0);
        }
      }),
    );
  });

  it("with B's context, updates and deletes of A's rows touch nothing; inserting one for A is refused", async () => {
    await asOwner(server, (sql) =>
      asApp(sql, bob.userId, async (tx) => {
        expect(
          (await tx`update users set full_name = 'pwned', roles = '{ADMIN}' where id = ${alice.userId} returning id`)
            .length,
        ).toBe(0);
        expect(
          (await tx`update api_keys set revoked_at = now() where user_id = ${alice.userId} returning id`).length,
        ).toBe(0);
        expect((await tx`delete from sessions where user_id = ${alice.userId} returning id`).length).toBe(0);
        expect((await tx`delete from refresh_tokens where user_id = ${alice.userId} returning id`).length).toBe(0);
        // Moving one's own row to A is refused too (WITH CHECK).
        await expect(
          tx`update api_keys set user_id = ${alice.userId} where user_id = ${bob.userId}`,
        ).rejects.toMatchObject({ code: "42501" });
      }),
    );
    await asOwner(server, (sql) =>
      asApp(sql, bob.userId, (tx) =>
        expect(
          tx`insert into api_keys (user_id, name, prefix, key_hash)
             values (${alice.userId}, 'planted', 'mk_x', ${"h" + Date.now()})`,
        ).rejects.toMatchObject({ code: "42501" }),
      ),
    );
    await expect(alice.client(AuthService).getCurrentUser({})).resolves.toMatchObject({
      user: { fullName: alice.username },
    });
  });

  it.each([
    ["never set", undefined],
    ["empty", ""],
  ])("with app.user_id %s, every tenant table reads as empty", async (_, userId) => {
    const tables = await asOwner(server, tenantTables);
    expect(tables).toEqual(
      expect.arrayContaining(["users", "sessions", "refresh_tokens", "api_keys", "owners", "memories", "memory_stats"]),
    );
    await asOwner(server, (sql) =>
      asApp(sql, userId, async (tx) => {
        for (const table of tables) {
          const [row] = await tx<{ n: number }[]>`select count(*)::int as n from ${ident(tx, table)}`;
          expect(row!.n, table).toBe(0);
        }
      }),
    );
    // Positive control: the rows are there for the owner.
    const [users] = await asOwner(server, (sql) => sql<{ n: number }[]>`select count(*)::int as n from users`);
    expect(users!.n).toBeGreaterThanOrEqual(2);
  });

  it("the service's own transaction helper runs as the runtime role and confines to the context user", async () => {
    const seen = await inTx(server.db.sql, userContext(bob.userId), async (tx) => {
      const [who] = await tx<{ u: string }[]>`select current_user as u`;
      const rows = await tx<{ id: string }[]>`select id from users`;
      return { who: who!.u, ids: rows.map((r) => r.id) };
    });
    expect(seen).toEqual({ who: APP_ROLE, ids: [bob.userId] });
  });

  it("leaves no role or context behind on the connection", async () => {
    // asOwner's pool has exactly one connection (embedded: the server's own), so both statements share it.
    const after = await asOwner(server, async (sql) => {
      await inTx(sql, userContext(bob.userId), (tx) => tx`select 1`);
      const [row] = await sql<{ u: string; uid: string | null; admin: string | null }[]>`
        select current_user as u, current_setting('app.user_id', true) as uid,
          current_setting('app.admin', true) as admin`;
      return row!;
    });
    expect(after.u).not.toBe(APP_ROLE);
    expect(after.uid ?? "").toBe("");
    expect(after.admin ?? "").toBe("");
  });
});

describe(`the catalog (${testMode})`, () => {
  it("every tenant table has row-level security enabled AND forced", async () => {
    const rows = await asOwner(server, async (sql) => {
      const tables = await tenantTables(sql);
      return sql<{ name: string; rls: boolean; forced: boolean }[]>`
        select relname as name, relrowsecurity as rls, relforcerowsecurity as forced
        from pg_class where relnamespace = 'public'::regnamespace and relname = any(${tables}) order by 1`;
    });
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.filter((r) => !r.rls || !r.forced)).toEqual([]);
  });

  it("the runtime role is not superuser, lacks BYPASSRLS, owns nothing — nor does any role it can become", async () => {
    const roles = await asOwner(
      server,
      (sql) => sql<{ name: string; superuser: boolean; bypassrls: boolean; owned: number }[]>`
      select r.rolname as name, r.rolsuper as superuser, r.rolbypassrls as bypassrls,
        (select count(*)::int from pg_class c where c.relowner = r.oid) as owned
      from pg_roles r where pg_has_role(${APP_ROLE}, r.oid, 'MEMBER')`,
    );
    expect(roles.map((r) => r.name)).toContain(APP_ROLE);
    for (const r of roles) expect(r, r.name).toMatchObject({ superuser: false, bypassrls: false, owned: 0 });
    const [tables] = await asOwner(
      server,
      (sql) => sql<{ n: number }[]>`select count(*)::int as n from pg_tables where tableowner = ${APP_ROLE}`,
    );
    expect(tables!.n).toBe(0);
  });
});
