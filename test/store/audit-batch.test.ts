/**
 * The batcher's refusals (fail closed), against a stand-in audit store that never answers or fails:
 * a full queue refuses at once, a row not committed within the bound is refused, a failed batch
 * refuses all its rows. Success paths run against PostgreSQL in audit-log.test.ts and audit-crash.
 */
import { Code } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { AuditBatcher, type PendingRow } from "../../src/store/audit-batch.js";
import type { Sql } from "../../src/store/database.js";

const row = (): PendingRow => ({
  id: crypto.randomUUID(),
  time: new Date(),
  eventType: "user.retrieved",
  severity: "info",
  principalId: null,
  principalType: "anonymous",
  roles: [],
  service: null,
  method: null,
  resourceType: null,
  resourceId: null,
  success: true,
  code: "ok",
  errorMessage: null,
  clientAddress: null,
  userAgent: null,
  requestId: null,
  sessionId: null,
  details: {},
});

function store(answer: () => Promise<unknown>): Sql {
  const sql = () => answer();
  return Object.assign(sql, { json: (v: unknown) => v }) as unknown as Sql;
}

const options = { shards: 4, boundMs: 50, maxQueued: 3, maxBatch: 10, flushers: 1 };
const split = (): [string, string] => ["{", "}"];

it("refuses at once when the queue is full, and after the bound when the store does not answer", async () => {
  const b = new AuditBatcher(
    store(() => new Promise(() => {})),
    options,
    split,
  );
  try {
    const pending = [b.append(row()), b.append(row()), b.append(row())].map((p) => p.catch((e: unknown) => e));
    await expect(b.append(row())).rejects.toMatchObject({ code: Code.Unavailable, rawMessage: "audit queue full" });
    for (const err of await Promise.all(pending)) {
      expect(err).toMatchObject({ code: Code.Unavailable, rawMessage: "audit log not written in time" });
    }
  } finally {
    b.close();
  }
});

it("refuses every row of a batch the store rejects", async () => {
  const failures: boolean[] = [];
  const b = new AuditBatcher(
    store(() => Promise.reject(Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" }))),
    { ...options, boundMs: 10_000 },
    split,
    (ok) => failures.push(ok),
  );
  try {
    const results = await Promise.allSettled([b.append(row()), b.append(row())]);
    for (const r of results) expect(r).toMatchObject({ status: "rejected", reason: { code: Code.Unavailable } });
    expect(failures.every((ok) => !ok)).toBe(true);
  } finally {
    b.close();
  }
});
