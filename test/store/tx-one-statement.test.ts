/**
 * Spec: a one-statement transaction (inTx with oneStatement) writes its COMMIT right behind its
 * statement. The statement still runs inside the transaction, under its RLS context; a second
 * statement fails the call and never runs, inside or outside the transaction; a failing statement
 * reports its own error and leaves the pooled connection clean for the next transaction.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import { APP_ROLE, inTx, SYSTEM, userContext } from "../../src/store/tx.js";
import { useMigratedDatabase } from "../support/migrated-database.js";

const migrated = useMigratedDatabase(1);
beforeAll(async () => {
  await migrated.db.sql.unsafe(
    `create table one_statement_probe (v int); grant insert, select on one_statement_probe to ${APP_ROLE}`,
  );
});

const probeCount = async () =>
  Number((await migrated.db.sql`select count(*)::int as n from one_statement_probe`)[0]!.n);

it("runs the statement inside the transaction, under the caller's context", async () => {
  const user = randomUUID();
  const [row] = await inTx(
    migrated.db.sql,
    userContext(user),
    (tx) =>
      tx`select current_setting('app.user_id') as uid, current_user as role, now() = statement_timestamp() as alone`,
    { oneStatement: true },
  );
  expect(row).toEqual({ uid: user, role: APP_ROLE, alone: false }); // now() is the transaction's start
  // Committed: the next transaction on the same connection starts clean.
  const [after] = await inTx(migrated.db.sql, SYSTEM, (tx) => tx`select current_setting('app.user_id', true) as uid`);
  expect(after!.uid).toBe("");
});

it("commits a one-statement write", async () => {
  const before = await probeCount();
  await inTx(migrated.db.sql, SYSTEM, (tx) => tx`insert into one_statement_probe values (1)`, { oneStatement: true });
  expect(await probeCount()).toBe(before + 1);
});

it("refuses a second statement: the call fails and the statement never runs", async () => {
  const before = await probeCount();
  await expect(
    inTx(
      migrated.db.sql,
      SYSTEM,
      async (tx) => {
        await tx`select 1`;
        await tx`insert into one_statement_probe values (2)`;
      },
      { oneStatement: true },
    ),
  ).rejects.toThrow(/after the final statement/);
  expect(await probeCount()).toBe(before);
  // Also when both are issued at once, before either answers.
  await expect(
    inTx(migrated.db.sql, SYSTEM, (tx) => Promise.all([tx`select 1`, tx`insert into one_statement_probe values (3)`]), {
      oneStatement: true,
    }),
  ).rejects.toThrow(/after the final statement/);
  expect(await probeCount()).toBe(before);
});

it("reports a failing statement's own error, rolls back, and leaves the connection usable", async () => {
  const before = await probeCount();
  await expect(
    inTx(migrated.db.sql, SYSTEM, (tx) => tx`insert into one_statement_probe select 4 union all select 1 / 0`, {
      oneStatement: true,
    }),
  ).rejects.toMatchObject({ code: "22012" }); // division_by_zero, not a COMMIT's error
  expect(await probeCount()).toBe(before);
  const [row] = await inTx(migrated.db.sql, SYSTEM, (tx) => tx`select 1 as one`, { oneStatement: true });
  expect(row!.one).toBe(1);
});
