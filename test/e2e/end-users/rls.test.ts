/**
 * Spec: end users are kept apart a second time, by the database. As the runtime role (memoric_app)
 * with the transaction context the service sets (SET LOCAL app.user_id = the account, app.owner_id =
 * end user A), a raw SELECT of end user B's rows returns nothing, and updates, deletes and inserts of B's
 * rows touch nothing or are refused — for every table with an owner_id column, found in the catalog
 * (tables added later are covered without editing this file), plus owners itself. With app.owner_id
 * unset (an account-level call), both end users' rows are visible; another account sees neither.
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_ROLE } from "../../../src/store/tx.js";
import { testMode } from "../../support/database.js";
import { serviceAccount, type ServiceAccount } from "../../support/end-users.js";
import { admin, asOwner } from "../../support/identity.js";
import { startTestServer, type TestServer } from "../../support/server.js";

let server: TestServer;
let backend: ServiceAccount;
let other: ServiceAccount;
let a: string;
let b: string;

/** Every public table with an owner_id column, from the catalog. */
async function ownerTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and exists (
      select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'owner_id' and not a.attisdropped)
    order by 1`;
  return rows.map((r) => r.name);
}

const uuidOrEmpty = (id: string | undefined) => {
  if (id !== undefined && !/^[0-9a-f-]{36}$/.test(id)) throw new Error("not a uuid");
  return `'${id ?? ""}'`;
};

/** Runs fn as the runtime role with the context the service sets (SET LOCAL, as src/store/tx.ts), then rolls back. */
async function asApp<T>(
  sql: postgres.Sql,
  ctx: { userId: string; ownerId?: string },
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  let out: T;
  const rollback = new Error("rollback");
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(
        `set local role ${APP_ROLE}; set local app.user_id = ${uuidOrEmpty(ctx.userId)}; ` +
          `set local app.owner_id = ${uuidOrEmpty(ctx.ownerId)}`,
      );
      out = await fn(tx);
      throw rollback;
    });
  } catch (err) {
    if (err !== rollback) throw err;
  }
  return out!;
}

/** The owner column of a table: owner_id, or id for owners itself. */
const ownerColumn = (table: string) => (table === "owners" ? "id" : "owner_id");

async function countsByOwner(tx: postgres.TransactionSql, table: string): Promise<Record<string, number>> {
  const col = ownerColumn(table);
  const rows = await tx<{ owner: string; n: number }[]>`
    select ${tx(col)}::text as owner, count(*)::int as n from ${tx(table)} group by 1`;
  return Object.fromEntries(rows.map((r) => [r.owner, r.n]));
}

beforeAll(async () => {
  server = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "100000", MEMORIC_EMBEDDINGS_DIMENSIONS: "3" });
  const root = await admin(server);
  [backend, other] = await Promise.all([serviceAccount(server, root), serviceAccount(server, root)]);
  // Rows for both end users in every owner table: memories, their terms, counters, (client-sent) vectors and
  // their version, history, clusters.
  for (const endUserId of ["rls-a", "rls-b"]) {
    const { memories } = await backend.memories.batchCreateMemories({
      endUserId,
      memories: [
        {
          content: `${endUserId} likes hiking in the mountains`,
          topic: "hobbies",
          category: "outdoor",
          embedding: [0.1, 0.2, 0.3],
        },
        {
          content: `${endUserId} hikes every weekend`,
          topic: "hobbies",
          category: "outdoor",
          embedding: [0.3, 0.2, 0.1],
        },
      ],
    });
    await backend.memories.updateMemory({
      endUserId,
      id: memories[0]!.id,
      content: `${endUserId} loves hiking`,
      updateMask: { paths: ["content"] },
    });
    await backend.memories.rebuildClusters({ endUserId });
  }
  a = (await backend.endUsers.getEndUser({ endUserId: "rls-a" })).endUser!.id;
  b = (await backend.endUsers.getEndUser({ endUserId: "rls-b" })).endUser!.id;
});
afterAll(async () => {
  await server?.close();
});

describe(`row-level security between end users of one account (${testMode})`, () => {
  it("the catalog's owner tables are the memory tables (and each holds rows of both end users)", async () => {
    const tables = await asOwner(server, ownerTables);
    expect(tables).toEqual(
      expect.arrayContaining(["memories", "memory_versions", "memory_terms", "memory_stats", "memory_clusters"]),
    );
    await asOwner(server, async (sql) => {
      for (const table of tables) {
        const [row] = await sql<{ a: number; b: number }[]>`
          select count(*) filter (where owner_id = ${a})::int as a, count(*) filter (where owner_id = ${b})::int as b
          from ${sql(table)}`;
        expect(row!.a, `${table}: A's rows`).toBeGreaterThan(0);
        expect(row!.b, `${table}: B's rows`).toBeGreaterThan(0);
      }
    });
  });

  it("with app.owner_id = A, a raw select of B's rows returns nothing, in every owner table and owners", async () => {
    const tables = [...(await asOwner(server, ownerTables)), "owners"];
    await asOwner(server, (sql) =>
      asApp(sql, { userId: backend.userId, ownerId: a }, async (tx) => {
        expect((await tx<{ u: string }[]>`select current_user as u`)[0]!.u).toBe(APP_ROLE);
        for (const table of tables) {
          const col = ownerColumn(table);
          const [ofB] = await tx<{ n: number }[]>`
            select count(*)::int as n from ${tx(table)} where ${tx(col)} = ${b}`;
          expect(ofB!.n, `${table}: B's rows seen with A's context`).toBe(0);
          const seen = await countsByOwner(tx, table);
          expect(Object.keys(seen), `${table}: only A's rows`).toEqual([a]);
        }
      }),
    );
  });

  it("with app.owner_id = A, B's rows cannot be updated, deleted or planted", async () => {
    const tables = await asOwner(server, ownerTables);
    await asOwner(server, (sql) =>
      asApp(sql, { userId: backend.userId, ownerId: a }, async (tx) => {
        for (const table of tables) {
          const deleted = await tx`delete from ${tx(table)} where owner_id = ${b} returning 1`;
          expect(deleted.length, `${table}: delete`).toBe(0);
          const moved = await tx`update ${tx(table)} set owner_id = owner_id where owner_id = ${b} returning 1`;
          expect(moved.length, `${table}: update`).toBe(0);
        }
      }),
    );
    await asOwner(server, (sql) =>
      asApp(sql, { userId: backend.userId, ownerId: a }, (tx) =>
        expect(
          tx`insert into memory_stats (owner_id, shard, account_id) values (${b}, 7, ${backend.userId})`,
        ).rejects.toMatchObject({ code: "42501" }),
      ),
    );
    // Moving one of A's own rows to B is refused too (WITH CHECK).
    await asOwner(server, (sql) =>
      asApp(sql, { userId: backend.userId, ownerId: a }, (tx) =>
        expect(tx`update memory_clusters set owner_id = ${b} where owner_id = ${a}`).rejects.toMatchObject({
          code: "42501",
        }),
      ),
    );
    // Nothing changed: B still reads everything back.
    const { memories } = await backend.memories.listMemories({ endUserId: "rls-b" });
    expect(memories).toHaveLength(2);
  });

  it("with app.owner_id unset (account level), both end users' rows show; another account sees neither", async () => {
    const tables = [...(await asOwner(server, ownerTables)), "owners"];
    await asOwner(server, (sql) =>
      asApp(sql, { userId: backend.userId }, async (tx) => {
        for (const table of tables) {
          const seen = await countsByOwner(tx, table);
          expect(seen[a], `${table}: A visible at account level`).toBeGreaterThan(0);
          expect(seen[b], `${table}: B visible at account level`).toBeGreaterThan(0);
        }
      }),
    );
    await asOwner(server, (sql) =>
      asApp(sql, { userId: other.userId }, async (tx) => {
        for (const table of tables) expect(await countsByOwner(tx, table), table).toEqual({});
      }),
    );
    // Naming A's owner id under another account shows nothing either.
    await asOwner(server, (sql) =>
      asApp(sql, { userId: other.userId, ownerId: a }, async (tx) => {
        for (const table of tables) expect(await countsByOwner(tx, table), table).toEqual({});
      }),
    );
  });
});
