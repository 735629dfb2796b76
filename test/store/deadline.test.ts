/**
 * Spec: a call's deadline reaches the database. Given a deadline, inTx bounds every statement by
 * the time left (statement_timeout) and a statement that outlives it fails DeadlineExceeded; an
 * already-expired deadline fails before any SQL; without a deadline the server's setting stays.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { timeoutFromHeaders } from "../../src/interceptors/deadline.js";
import { inTx, SYSTEM } from "../../src/store/tx.js";
import { testMode } from "../support/database.js";
import { useMigratedDatabase } from "../support/migrated-database.js";

const migrated = useMigratedDatabase(2);

it("reads the deadline from gRPC and Connect timeout headers", () => {
  expect(timeoutFromHeaders(new Headers({ "grpc-timeout": "250m" }))).toBe(250);
  expect(timeoutFromHeaders(new Headers({ "grpc-timeout": "2S" }))).toBe(2000);
  expect(timeoutFromHeaders(new Headers({ "connect-timeout-ms": "1500" }))).toBe(1500);
  expect(timeoutFromHeaders(new Headers({ "grpc-timeout": "soon" }))).toBeUndefined();
  expect(timeoutFromHeaders(new Headers())).toBeUndefined();
});

it("sets the time left as the transaction's statement_timeout", async () => {
  // pg_settings reports statement_timeout in ms whatever unit it was set in.
  const timeoutMs = (tx: Parameters<Parameters<typeof inTx>[2]>[0]) =>
    tx<{ ms: number }[]>`select setting::float8 as ms from pg_settings where name = 'statement_timeout'`;
  const [row] = await inTx(migrated.db.sql, SYSTEM, timeoutMs, { deadline: Date.now() + 5000 });
  expect(row!.ms).toBeGreaterThan(4000);
  expect(row!.ms).toBeLessThanOrEqual(5000);
  const [none] = await inTx(migrated.db.sql, SYSTEM, timeoutMs);
  expect(none!.ms).toBe(0); // the server default, untouched
});

it("fails an already-expired deadline before any SQL", async () => {
  const err = await inTx(migrated.db.sql, SYSTEM, (tx) => tx`select 1`, { deadline: Date.now() - 1 }).catch(
    (e: unknown) => e,
  );
  expect((err as ConnectError).code).toBe(Code.DeadlineExceeded);
});

it.skipIf(testMode === "embedded")(
  "stops a statement that outlives the deadline (PostgreSQL; PGlite has no statement timer)",
  async () => {
    const started = Date.now();
    const err = await inTx(migrated.db.sql, SYSTEM, (tx) => tx`select pg_sleep(5)`, {
      deadline: Date.now() + 300,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(3000);
  },
);
