/**
 * Spec: a transaction opened with genericPlans runs its prepared statements on their generic plan
 * (planned once per connection, never per call), alone or as a one-statement read, and the setting
 * ends with the transaction: the next one on the same connection plans as PostgreSQL chooses again.
 */
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { inTx, userContext, type Tx } from "../../src/store/tx.js";
import { testMode } from "../support/database.js";
import { useMigratedDatabase } from "../support/migrated-database.js";

const migrated = useMigratedDatabase(1);

const mode = (tx: Tx) => tx<{ mode: string }[]>`select current_setting('plan_cache_mode') as mode`;

it("sets plan_cache_mode for the transaction only", async () => {
  const user = userContext(randomUUID());
  expect((await inTx(migrated.db.sql, user, mode, { genericPlans: true }))[0]!.mode).toBe("force_generic_plan");
  expect((await inTx(migrated.db.sql, user, mode))[0]!.mode).toBe("auto");
  expect((await inTx(migrated.db.sql, user, mode, { genericPlans: true, oneStatement: true }))[0]!.mode).toBe(
    "force_generic_plan",
  );
  expect((await inTx(migrated.db.sql, user, mode, { oneStatement: true }))[0]!.mode).toBe("auto");
});

it.runIf(testMode === "postgres")("runs a prepared statement on its generic plan from its first call", async () => {
  const user = userContext(randomUUID());
  const marker = `generic_plan_probe_${randomUUID().slice(0, 8)}`;
  const probe = (tx: Tx) =>
    tx.unsafe(`select count(*) as ${marker} from memories where owner_id = $1`, [randomUUID()], { prepare: true });
  for (let i = 0; i < 3; i++) await inTx(migrated.db.sql, user, probe, { genericPlans: true, oneStatement: true });
  const [plans] = await migrated.db.sql<{ generic: number; custom: number }[]>`
    select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
    where statement like ${`%${marker}%`} and statement not like '%pg_prepared_statements%'`;
  expect(plans).toEqual({ generic: 3, custom: 0 });
});
