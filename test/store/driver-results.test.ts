/**
 * Spec: a postgres.js result (3.4.9, patches/postgres+3.4.9.patch) is an array of rows whose statement
 * facts (count, command, columns, statement, state) are readable but invisible to Object.keys, JSON and
 * spreading. The patch keeps them in private fields behind accessors instead of defining five own
 * properties per result (~4.5 µs each, made for every statement), so no own property carries them.
 */
import { describe, expect, it } from "vitest";
import { useMigratedDatabase } from "../support/migrated-database.js";

const database = useMigratedDatabase(1);

describe("a query's result", () => {
  it("carries its statement's facts without own properties for them", async () => {
    const result = await database.db.sql`select g as n from generate_series(1, 3) g`;
    expect(result.count).toBe(3);
    expect(result.command).toBe("SELECT");
    expect(result.columns.map((c) => c.name)).toEqual(["n"]);
    expect(result.statement.string).toContain("generate_series");
    expect(Object.keys(result)).toEqual(["0", "1", "2"]);
    expect(Object.getOwnPropertyNames(result)).toEqual(["0", "1", "2", "length"]);
    expect(JSON.stringify(result)).toBe('[{"n":1},{"n":2},{"n":3}]');
    expect([...result]).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const derived = result.filter(() => true); // a plain array (Symbol.species)
    expect(Array.isArray(derived) && !("command" in derived)).toBe(true);
  });

  it("gives each statement of a multi-statement query its own facts", async () => {
    type StatementResult = unknown[] & { command: string; columns: { name: string }[] };
    const results = (await database.db.sql.unsafe(
      "select 1 as a; select 2 as b, 3 as c",
    )) as unknown as StatementResult[];
    const facts = results.map((r) => [r.command, r.columns.map((c) => c.name)]);
    expect(facts).toEqual([
      ["SELECT", ["a"]],
      ["SELECT", ["b", "c"]],
    ]);
    expect(results.map((r) => [...r])).toEqual([[{ a: 1 }], [{ b: 2, c: 3 }]]);
  });
});
