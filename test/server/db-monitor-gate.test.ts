/**
 * Spec: while the database is known to be down, transactions fail fast with Unavailable and a
 * `retry-after` (seconds). The monitor closes the gate at once when a probe is refused or dropped,
 * only from the second timed-out probe in a row (a busy pool is not an outage), never in embedded
 * mode, and opens it with the first good probe.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { HealthRegistry } from "../../src/domain/health-registry.js";
import { createLogger } from "../../src/logger.js";
import { DbMonitor } from "../../src/server/db-monitor.js";
import { DatabaseUnavailableError, type Database, type DatabaseMode, type Sql } from "../../src/store/database.js";
import { assertDatabaseUp, isDatabaseDown } from "../../src/store/db-gate.js";
import { inTx, SYSTEM } from "../../src/store/tx.js";

type Answer = "ok" | "refused" | "timeout";

function fakeDatabase(mode: DatabaseMode) {
  const answers: Answer[] = [];
  const sql = {} as Sql; // never queried while the gate is closed
  const db: Database = {
    sql,
    mode,
    poolMax: 1,
    admission: undefined,
    close: async () => {},
    async ping() {
      const a = answers.shift() ?? "ok";
      if (a === "refused")
        throw new DatabaseUnavailableError("database unreachable", {
          cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
        });
      if (a === "timeout") throw new DatabaseUnavailableError("database did not answer within 1 ms");
      return 1;
    },
  };
  const registry = new HealthRegistry();
  registry.register(["readiness"], "NOT_SERVING");
  const monitor = new DbMonitor(
    db,
    registry,
    ["readiness"],
    { intervalMs: 1500, timeoutMs: 1 },
    createLogger("silent"),
  );
  const probe = async (a: Answer) => {
    answers.push(a);
    await monitor.probe();
    return isDatabaseDown(sql);
  };
  return { sql, probe };
}

describe("the fail-fast gate", () => {
  it("closes at once on a refused probe and answers Unavailable with retry-after, then reopens", async () => {
    const { sql, probe } = fakeDatabase("postgres");
    expect(await probe("ok")).toBe(false);
    expect(await probe("refused")).toBe(true);
    const err = await inTx(sql, SYSTEM, async () => "ran").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect((err as ConnectError).metadata.get("retry-after")).toBe("2");
    expect(await probe("ok")).toBe(false);
    expect(() => assertDatabaseUp(sql)).not.toThrow();
  });

  it("closes only from the second timed-out probe in a row", async () => {
    const { probe } = fakeDatabase("postgres");
    expect(await probe("timeout")).toBe(false);
    expect(await probe("ok")).toBe(false);
    expect(await probe("timeout")).toBe(false);
    expect(await probe("timeout")).toBe(true);
  });

  it("never closes in embedded mode", async () => {
    const { probe } = fakeDatabase("embedded");
    expect(await probe("refused")).toBe(false);
    expect(await probe("timeout")).toBe(false);
    expect(await probe("timeout")).toBe(false);
  });
});
