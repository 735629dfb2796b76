// The write path against a real database (Postgres with DATABASE_URL, else PGlite): round trip,
// concurrency (no gaps, no forks), privileges and triggers, fail-closed, and what is never stored.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChains } from "../../src/domain/chain-verifier.js";
import type { CallInfo, Principal } from "../../src/interceptors/call-context.js";
import { codeName, createAuditWriter, scrubErrorMessage, type AuditWriter } from "../../src/store/audit-log.js";
import { AUDIT_COLUMNS, rowToRecord, verifyAuditLog, type AuditRow } from "../../src/store/audit-verify.js";
import { writeCheckpoint } from "../../src/store/audit-checkpoints.js";
import { inTx, SYSTEM, userContext } from "../../src/store/tx.js";
import { forceAuditInsertFailure, openAuditTestDb, type AuditTestDb } from "./audit-hooks.js";

const KEY = Buffer.alloc(32, 7);
let t: AuditTestDb;
let writer: AuditWriter;

const principal = (userId: string, roles: Principal["roles"] = ["USER"]): Principal => ({
  type: "user",
  userId,
  username: "u",
  roles,
  permissions: new Set(),
  sessionId: "sess-" + userId.slice(0, 8),
  credentialId: "jti",
});
const call = (userId: string | undefined, extra: Partial<CallInfo> = {}): CallInfo => ({
  principal: userId ? principal(userId) : undefined,
  requestId: crypto.randomUUID(),
  clientAddress: "127.0.0.1",
  userAgent: "vitest",
  service: "memoric.v1.MemoryService",
  method: "CreateMemory",
  ...extra,
});
const uid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

async function allRows(): Promise<AuditRow[]> {
  return t.sql<AuditRow[]>`select ${t.sql(AUDIT_COLUMNS as unknown as string[])} from audit_log order by shard, seq`;
}

beforeAll(async () => {
  t = await openAuditTestDb();
  writer = createAuditWriter({ sql: t.sql, config: { enabled: true, shards: 16 } });
  await t.sql`create table audit_test_mutation (id int primary key)`;
  await t.sql`grant select, insert on audit_test_mutation to memoric_app`;
});
afterAll(async () => t?.close());

describe("round trip", () => {
  it("stores exactly what it hashed, awkward strings included", async () => {
    await writer.recordStandalone(
      call(uid(1), { userAgent: "evil\r\nfake-line \x1b[31mred\u0000 \ud800 lone", clientAddress: "" }),
      {
        type: "memory.created",
        success: true,
        resourceType: "memory",
        resourceId: "m-1",
        details: {
          count: 3,
          ratio: 0.1,
          big: 1e21,
          tiny: 1e-7,
          nested: { z: [1, "two", null, true], a: "\u2028" },
          "k\u0000ey": "v",
        },
      },
    );
    await writer.recordStandalone({ system: "test" }, { type: "system.startup", success: true });
    const rows = await allRows();
    expect(rows).toHaveLength(2);
    const result = verifyChains(rows.map(rowToRecord), [], KEY);
    expect(result).toMatchObject({ ok: true, checked: 2 });
    const ua = rows.find((r) => r.event_type === "memory.created")!;
    // Verbatim, except code points PostgreSQL cannot store.
    expect(ua.user_agent).toBe("evil\r\nfake-line \x1b[31mred\ufffd \ufffd lone");
    expect(ua.client_address).toBeNull();
    expect(ua.session_id).toBe("sess-00000000");
    const sys = rows.find((r) => r.event_type === "system.startup")!;
    expect(sys).toMatchObject({ principal_type: "system", principal_id: null, details: { actor: "test" } });
  });
});

describe("concurrency", () => {
  it("50 concurrent writers plus writers inside transactions make valid, gap-free, fork-free chains", async () => {
    const before = (await allRows()).length;
    const standalone = Array.from({ length: 50 }, (_, i) =>
      writer.recordStandalone(call(uid(i % 20)), { type: "memory.retrieved", success: true, resourceId: `r${i}` }),
    );
    const inTransactions = Array.from({ length: 5 }, (_, i) =>
      inTx(t.sql, userContext(uid(i)), async (tx) => {
        await tx`insert into audit_test_mutation (id) values (${1000 + i})`;
        await writer.record(tx, call(uid(i)), { type: "memory.created", success: true, resourceId: `m${i}` });
        await writer.record(tx, call(uid(i)), { type: "memory.updated", success: true, resourceId: `m${i}` });
      }),
    );
    await Promise.all([...standalone, ...inTransactions]);
    const rows = await allRows();
    expect(rows.length).toBe(before + 60);
    const byShard = new Map<number, number[]>();
    for (const r of rows) byShard.set(r.shard, [...(byShard.get(r.shard) ?? []), Number(r.seq)]);
    expect(byShard.size).toBeGreaterThan(1); // spread over several chains (standalone rows: one per batch)
    for (const seqs of byShard.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const heads = await t.sql<
      { shard: number; seq: string; hash: string }[]
    >`select shard, seq, hash from audit_heads where seq > 0`;
    for (const h of heads) {
      const last = rows.filter((r) => r.shard === h.shard).at(-1)!;
      expect([Number(h.seq), h.hash]).toEqual([Number(last.seq), last.hash]);
    }
    await writeCheckpoint(t.sql, KEY);
    expect(await verifyAuditLog(t.sql, SYSTEM, KEY, { batchSize: 7 })).toMatchObject({
      ok: true,
      checked: rows.length,
      checkpointsVerified: 1,
    });
  });
});

describe("append-only", () => {
  for (const [name, ctx] of [
    ["user", userContext(uid(1))],
    ["admin", { kind: "admin", userId: uid(1) }],
    ["system", SYSTEM],
  ] as const) {
    it(`memoric_app (${name} context) cannot UPDATE, DELETE or TRUNCATE audit rows or checkpoints`, async () => {
      for (const stmt of [
        "update audit_log set success = not success",
        "delete from audit_log",
        "truncate audit_log",
        "update audit_checkpoints set signature = 'x'",
        "delete from audit_checkpoints",
        "truncate audit_checkpoints",
      ]) {
        await expect(
          inTx(t.sql, ctx, (tx) => tx.unsafe(stmt)),
          stmt,
        ).rejects.toMatchObject({ code: "42501" });
      }
    });
  }

  it("the owner (superuser) is stopped by the trigger too", async () => {
    for (const stmt of [
      "update audit_log set success = not success",
      "delete from audit_log",
      "truncate audit_log",
      "delete from audit_checkpoints",
    ]) {
      await expect(t.sql.unsafe(stmt), stmt).rejects.toThrow(/append-only/);
    }
  });

  it("rows are invisible outside the admin and system contexts, but anyone may append", async () => {
    await inTx(t.sql, userContext(uid(3)), (tx) =>
      writer.record(tx, call(uid(3)), { type: "memory.deleted", success: true }),
    );
    expect(await inTx(t.sql, userContext(uid(3)), (tx) => tx`select id from audit_log`)).toHaveLength(0);
    expect(
      (await inTx(t.sql, { kind: "admin", userId: uid(9) }, (tx) => tx`select id from audit_log`)).length,
    ).toBeGreaterThan(0);
    await expect(
      inTx(
        t.sql,
        userContext(uid(3)),
        (tx) => tx`insert into audit_checkpoints (time, heads, signature) values (now(), '[]', 'x')`,
      ),
    ).rejects.toMatchObject({ code: "42501" });
  });
});

describe("fail closed", () => {
  it("a failing audit insert rolls the mutation back and answers Unavailable", async () => {
    const restore = await forceAuditInsertFailure(t.sql);
    try {
      const err = await inTx(t.sql, userContext(uid(4)), async (tx) => {
        await tx`insert into audit_test_mutation (id) values (1)`;
        await writer.record(tx, call(uid(4)), { type: "memory.created", success: true });
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Unavailable);
      expect((err as ConnectError).rawMessage).toBe("audit log unavailable");
      await expect(
        writer.recordStandalone(call(uid(4)), { type: "memory.retrieved", success: true }),
      ).rejects.toMatchObject({ code: Code.Unavailable });
    } finally {
      await restore();
    }
    expect(await t.sql`select id from audit_test_mutation where id = 1`).toHaveLength(0);
    // ...and the chain is intact afterwards: the failed appends left no gap.
    await inTx(t.sql, userContext(uid(4)), async (tx) => {
      await tx`insert into audit_test_mutation (id) values (1)`;
      await writer.record(tx, call(uid(4)), { type: "memory.created", success: true });
    });
    expect((await verifyAuditLog(t.sql, SYSTEM, KEY)).ok).toBe(true);
  });

  it("a disabled writer writes nothing", async () => {
    const n = (await allRows()).length;
    await createAuditWriter({ sql: t.sql, config: { enabled: false, shards: 16 } }).recordStandalone(call(uid(1)), {
      type: "memory.created",
      success: true,
    });
    expect((await allRows()).length).toBe(n);
  });
});

describe("never stored", () => {
  const CANARY = "CaNaRy7f3a9b2c1d";
  it("scrubs credentials and long secrets out of error messages", () => {
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIke${CANARY}J9.sig${CANARY}`;
    const cases = [
      `bad header Bearer ${CANARY}xyz`,
      `token ${jwt} rejected`,
      `key mk_${CANARY}_abcdef invalid`,
      `password=${CANARY}`,
      `secret: "${CANARY} with spaces"`,
      `blob ${Buffer.from(CANARY.repeat(3)).toString("base64")}`,
    ];
    for (const c of cases) expect(scrubErrorMessage(c), c).not.toContain(CANARY);
    expect(scrubErrorMessage("memory 0b8c2f1e-9a4d-4c1b-8f7e-2d3c4b5a6f70 not found")).toContain(
      "0b8c2f1e-9a4d-4c1b-8f7e-2d3c4b5a6f70",
    );
    expect(scrubErrorMessage("x".repeat(2000)).length).toBeLessThanOrEqual(512);
  });

  it("no canary from an error path reaches any column", async () => {
    await writer.recordStandalone(call(uid(5)), {
      type: "auth.token.invalid",
      success: false,
      code: codeName(Code.Unauthenticated),
      errorMessage: `invalid token Bearer ${CANARY} / mk_${CANARY} / password: ${CANARY}`,
    });
    const dump = JSON.stringify(await t.sql`select * from audit_log`);
    expect(dump).not.toContain(CANARY);
  });

  it("code names are gRPC's", () => {
    expect([
      codeName(Code.PermissionDenied),
      codeName(Code.Unauthenticated),
      codeName(Code.Canceled),
      codeName(Code.ResourceExhausted),
    ]).toEqual(["permission_denied", "unauthenticated", "cancelled", "resource_exhausted"]);
  });
});
