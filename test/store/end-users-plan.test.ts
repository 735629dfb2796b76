/**
 * Spec: the end-user lookups and the hot memory queries use their indexes on a table large enough
 * for the planner to choose (6,000 owners rows over two accounts, 4,000 memories over 40 end users,
 * ANALYZEd): the statements the store really sends (captured from the driver with their parameters)
 * are EXPLAINed inside a transaction under the application role and RLS context, as requests run.
 * - finding an end user by its derived id (GetEndUser, DeleteEndUser, delegated tokens): owners_pkey;
 * - a ListEndUsers page, first and later (keyset cursor): owners_account_end_users_idx;
 * - SearchMemories' postings for an end user: memory_terms_pkey;
 * - ListMemories for an end user: memories_owner_created_idx.
 * No Seq Scan on owners, memories or memory_terms in any of them.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataKey } from "../../src/security/crypto.js";
import { findEndUser, listEndUsers } from "../../src/store/end-users.js";
import { listMemories } from "../../src/store/memories.js";
import { uuidv7 } from "../../src/store/memory-rows.js";
import { searchMemories } from "../../src/store/memory-search.js";
import { insertPrepared, prepareMemory } from "../../src/store/memory-write.js";
import type { Owner } from "../../src/store/owner.js";
import { inTx, userContext, type Tx } from "../../src/store/tx.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

const WORDS = "peanut coffee tea lisbon marathon piano budget garden tokyo hotel dentist spanish".split(" ");

let f: StoreFixture;
let account: string;
let endUsers: string[];

async function seedOwners(accountId: string, n: number): Promise<string[]> {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    account_id: accountId,
    external_id_ct: crypto.randomBytes(60),
    wrapped_key: crypto.randomBytes(90),
    created_at: new Date(Date.now() - (n - i) * 1000),
  }));
  for (let i = 0; i < rows.length; i += 1000) await f.sql`insert into owners ${f.sql(rows.slice(i, i + 1000))}`;
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  f = await openStoreFixture();
  account = await f.newUser("planner");
  const other = await f.newUser("neighbour");
  endUsers = await seedOwners(account, 5000);
  await seedOwners(other, 1000);
  const key = await DataKey.generate();
  for (const ownerId of endUsers.slice(0, 40)) {
    const owner = { accountId: account, ownerId };
    f.app.keys.remember(ownerId, key); // the seeded wrapped keys are stand-ins: reads use this one
    const base = Date.now() - 100 * 60_000;
    const items = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        prepareMemory(key, true, owner, uuidv7(base + i * 60_000), {
          content: Array.from({ length: 8 }, (_, j) => WORDS[(i * 7 + j * 5) % WORDS.length]).join(" "),
          threadId: `t${i % 5}`,
          agentId: "",
          namespace: "",
          metadata: {},
          importance: 0,
          topic: "",
          category: "",
          role: 0,
          expiresAt: null,
          idempotencyKey: "",
        }),
      ),
    );
    await inTx(f.sql, userContext(account, ownerId), (tx) => insertPrepared(tx, owner, items));
  }
  // vacuum as autovacuum would in steady state (the visibility map decides index-only scans).
  for (const t of ["owners", "memories", "memory_terms", "memory_stats"]) await f.sql.unsafe(`vacuum analyze ${t}`);
}, 120_000);
afterAll(async () => {
  await f?.close();
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function nodes(n: PlanNode): PlanNode[] {
  return [n, ...(n.Plans ?? []).flatMap(nodes)];
}

/**
 * Runs `fn` under the owner's RLS context, captures the statements it sends with their parameters,
 * and returns the plan of each (EXPLAIN of the same text and values, same context), flattened.
 */
async function plansOf(owner: Owner, scoped: boolean, fn: (tx: Tx) => Promise<unknown>): Promise<PlanNode[][]> {
  const sent: { query: string; params: unknown[] }[] = [];
  const context = userContext(owner.accountId, scoped ? owner.ownerId : undefined);
  const options = f.sql.options as { debug?: unknown };
  await inTx(f.sql, context, async (tx) => {
    options.debug = (_c: number, query: string, params: unknown[]) => {
      if (!query.startsWith("set local")) sent.push({ query, params });
    };
    try {
      await fn(tx);
    } finally {
      options.debug = false;
    }
  });
  return inTx(f.sql, context, async (tx) => {
    const out: PlanNode[][] = [];
    for (const s of sent) {
      const [row] = await tx.unsafe<{ "QUERY PLAN": { Plan: PlanNode }[] }[]>(
        `explain (format json) ${s.query}`,
        s.params as never[],
      );
      out.push(nodes(row!["QUERY PLAN"][0]!.Plan));
    }
    return out;
  });
}

const scans = (plan: PlanNode[]) =>
  plan.filter((n) => n["Relation Name"]).map((n) => `${n["Node Type"]} ${n["Relation Name"]} ${n["Index Name"] ?? ""}`);

function expectIndexed(plan: PlanNode[], table: string, index: string) {
  const used = plan.filter((n) => n["Relation Name"] === table);
  expect(used.length, scans(plan).join("; ")).toBeGreaterThan(0);
  expect(
    used.some((n) => /Index( Only)? Scan|Bitmap Index Scan/.test(n["Node Type"]) && n["Index Name"] === index) ||
      plan.some((n) => n["Node Type"] === "Bitmap Index Scan" && n["Index Name"] === index),
    scans(plan).join("; "),
  ).toBe(true);
}

function expectNoSeqScan(plan: PlanNode[], ...tables: string[]) {
  const seq = plan.filter((n) => n["Node Type"] === "Seq Scan" && tables.includes(n["Relation Name"] ?? ""));
  expect(
    seq.map((n) => n["Relation Name"]),
    scans(plan).join("; "),
  ).toEqual([]);
}

describe("end-user and hot-path query plans", () => {
  it("finds an end user by its derived id through the primary key", async () => {
    const owner = { accountId: account, ownerId: endUsers[2500]! };
    const plans = await plansOf(owner, true, (tx) => findEndUser(tx, owner));
    expect(plans).toHaveLength(1);
    expectIndexed(plans[0]!, "owners", "owners_pkey");
    expectNoSeqScan(plans[0]!, "owners");
  });

  it("pages the account's end users through owners_account_end_users_idx, first page and later", async () => {
    const owner = { accountId: account, ownerId: account };
    const plans = await plansOf(owner, false, async (tx) => {
      const first = await listEndUsers(tx, account, 50, undefined);
      let page = first;
      for (let i = 0; i < 40 && page.next; i++) page = await listEndUsers(tx, account, 50, page.next);
      expect(page.rows).toHaveLength(50);
    });
    expect(plans.length).toBeGreaterThan(2);
    for (const plan of [plans[0]!, plans.at(-1)!]) {
      expectIndexed(plan, "owners", "owners_account_end_users_idx");
      expectNoSeqScan(plan, "owners");
    }
  });

  it("reads an end user's search postings through memory_terms_pkey", async () => {
    const owner = { accountId: account, ownerId: endUsers[7]! };
    const plans = await plansOf(owner, true, (tx) =>
      searchMemories(f.deps, tx, owner, { query: "peanut marathon", filter: {}, topK: 10 }),
    );
    const search = plans.find((p) => p.some((n) => n["Relation Name"] === "memory_terms"));
    expect(search, "a statement reading memory_terms").toBeDefined();
    expectIndexed(search!, "memory_terms", "memory_terms_pkey");
    expectNoSeqScan(search!, "memory_terms", "memories");
  });

  it("lists an end user's memories through memories_owner_created_idx", async () => {
    const owner = { accountId: account, ownerId: endUsers[7]! };
    const plans = await plansOf(owner, true, (tx) => listMemories(f.deps, tx, owner, {}, 20, undefined));
    const list = plans.find((p) => p.some((n) => n["Relation Name"] === "memories"));
    expect(list, "a statement reading memories").toBeDefined();
    expectIndexed(list!, "memories", "memories_owner_created_idx");
    expectNoSeqScan(list!, "memories");
  });
});
