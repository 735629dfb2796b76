/**
 * Spec: DeleteEndUser is the erasure request, done by crypto-shredding. Ciphertexts of end user A
 * copied aside before the call (memories, their history, clusters — as a backup or a replica would
 * keep them) can no longer be decrypted with any key the database holds afterwards, unwrapped with the
 * master keyset — not even A's new key should A come back under the same id. A's owners row (its
 * wrapped key) and A's rows in every owner_id table are gone; the response and the audit row
 * (end_user.deleted) report the counts; GetEndUser(A) is NotFound; end user B is untouched.
 */
import { Code } from "@connectrpc/connect";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import { DataKey, MasterKeyring } from "../../../src/security/crypto.js";
import { contentAd } from "../../../src/store/memory-rows.js";
import { testMode } from "../../support/database.js";
import { codeOf, delegate, serviceAccount, type ServiceAccount } from "../../support/end-users.js";
import { admin, asOwner } from "../../support/identity.js";
import { startTestServer, type TestServer } from "../../support/server.js";

const A = "erase-me@customer.example";
const B = "keep-me@customer.example";

interface Sealed {
  what: string;
  ct: Uint8Array;
  ad: Parameters<DataKey["decryptText"]>[1];
}

let server: TestServer;
let backend: ServiceAccount;
let ring: MasterKeyring;
let a: string;
let b: string;

/** Every ciphertext of `owner` in memories, memory_versions and memory_clusters, with its associated data. */
async function ciphertextsOf(sql: postgres.Sql, owner: string): Promise<Sealed[]> {
  const out: Sealed[] = [];
  for (const m of await sql<{ id: string; version: number; content_ct: Uint8Array; metadata_ct: Uint8Array }[]>`
    select id, version, content_ct, metadata_ct from memories where owner_id = ${owner} and encrypted`) {
    out.push({ what: `memory ${m.id}`, ct: m.content_ct, ad: contentAd(owner, m.id, m.version, "content") });
    out.push({ what: `memory ${m.id} metadata`, ct: m.metadata_ct, ad: contentAd(owner, m.id, m.version, "metadata") });
  }
  for (const v of await sql<{ memory_id: string; version: number; content_ct: Uint8Array }[]>`
    select memory_id, version, content_ct from memory_versions where owner_id = ${owner} and encrypted`) {
    out.push({
      what: `version ${v.version}`,
      ct: v.content_ct,
      ad: contentAd(owner, v.memory_id, v.version, "content"),
    });
  }
  for (const c of await sql<{ id: string; data_ct: Uint8Array }[]>`
    select id, data_ct from memory_clusters where owner_id = ${owner} and encrypted`) {
    out.push({
      what: `cluster ${c.id}`,
      ct: c.data_ct,
      ad: { table: "memory_clusters", column: "data", rowId: c.id, ownerId: owner },
    });
  }
  return out;
}

/** Every data key the database holds, unwrapped with the master keyset (AD = its owner id). */
async function keysHeld(sql: postgres.Sql): Promise<{ owner: string; key: DataKey }[]> {
  const rows = await sql<{ id: string; wrapped_key: Uint8Array }[]>`
    select id, wrapped_key from owners where wrapped_key is not null`;
  return Promise.all(
    rows.map(async (r) => ({
      owner: r.id,
      key: await DataKey.fromBytes(await ring.unwrapDataKey(r.wrapped_key, r.id)),
    })),
  );
}

const decrypts = (key: DataKey, s: Sealed) =>
  key.decryptText(s.ct, s.ad).then(
    () => true,
    () => false,
  );

async function ownerRowCounts(sql: postgres.Sql, owner: string): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and exists (
      select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'owner_id' and not a.attisdropped)
    order by 1`;
  const out: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(name)} where owner_id = ${owner}`;
    out[name] = row!.n;
  }
  const [own] = await sql<{ n: number }[]>`select count(*)::int as n from owners where id = ${owner}`;
  out.owners = own!.n;
  return out;
}

beforeAll(async () => {
  server = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "100000" });
  ring = await MasterKeyring.fromBase64(server.config.secrets.keysetBase64!);
  backend = await serviceAccount(server, await admin(server));
  for (const endUserId of [A, B]) {
    const { memories } = await backend.memories.batchCreateMemories({
      endUserId,
      memories: [
        { content: `${endUserId} was diagnosed with asthma`, topic: "health", category: "medical", metadata: { x: 1 } },
        { content: `${endUserId} takes an inhaler daily`, topic: "health", category: "medical" },
        { content: `${endUserId} lives in Lisbon`, topic: "home", category: "personal" },
      ],
    });
    await backend.memories.updateMemory({
      endUserId,
      id: memories[0]!.id,
      content: `${endUserId} was diagnosed with mild asthma`,
      updateMask: { paths: ["content"] },
    });
    await backend.memories.rebuildClusters({ endUserId });
  }
  a = (await backend.endUsers.getEndUser({ endUserId: A })).endUser!.id;
  b = (await backend.endUsers.getEndUser({ endUserId: B })).endUser!.id;
});
afterAll(async () => {
  await server?.close();
});

describe(`DeleteEndUser crypto-shreds one end user (${testMode})`, () => {
  it("A's copied ciphertexts become undecryptable, A's rows are gone, the erasure reported and audited", async () => {
    const backup = await asOwner(server, (sql) => ciphertextsOf(sql, a));
    expect(backup.map((s) => s.what.split(" ")[0])).toEqual(expect.arrayContaining(["memory", "version", "cluster"]));
    // Positive control: before the call, A's own key opens every copied ciphertext.
    const before = await asOwner(server, keysHeld);
    const keyOfA = before.find((k) => k.owner === a)!.key;
    for (const s of backup) expect(await decrypts(keyOfA, s), s.what).toBe(true);
    const bBefore = await backend.memories.listMemories({ endUserId: B });

    const res = await backend.endUsers.deleteEndUser({ endUserId: A });
    expect(res).toMatchObject({ id: a, memoriesDeleted: 3n, versionsDeleted: 1n, keyDestroyed: true });
    expect(res.clustersDeleted).toBeGreaterThanOrEqual(2n);

    // A's owners row (its wrapped key) and A's rows in every owner table are gone.
    const left = await asOwner(server, (sql) => ownerRowCounts(sql, a));
    expect(Object.keys(left)).toEqual(expect.arrayContaining(["memories", "memory_versions", "memory_clusters"]));
    expect(
      Object.values(left).every((n) => n === 0),
      JSON.stringify(left),
    ).toBe(true);
    expect(await codeOf(backend.endUsers.getEndUser({ endUserId: A }))).toBe(Code.NotFound);
    expect(await codeOf(backend.memories.getMemory({ endUserId: A, id: bBefore.memories[0]!.id }))).toBe(Code.NotFound);
    const listed = await backend.endUsers.listEndUsers({});
    expect(listed.endUsers.map((u) => u.endUserId)).toEqual([B]);

    // The audit row records the erasure with its counts, naming A by internal id only.
    const [audit] = await asOwner(
      server,
      (sql) => sql<{ resource_id: string; details: Record<string, unknown>; text: string }[]>`
        select resource_id, details, row_to_json(l)::text as text from audit_log l
        where event_type = 'end_user.deleted' and success`,
    );
    expect(audit).toBeDefined();
    expect(audit!.resource_id).toBe(a);
    expect(audit!.details).toMatchObject({
      memories: 3,
      versions: 1,
      clusters: Number(res.clustersDeleted),
      keyDestroyed: true,
    });
    expect(audit!.text).not.toContain(A);

    // A comes back under the same internal id, with a new key: the old copy stays unreadable.
    await backend.memories.createMemory({ endUserId: A, content: "a fresh start" });
    expect((await backend.endUsers.getEndUser({ endUserId: A })).endUser!.id).toBe(a);
    const after = await asOwner(server, keysHeld);
    expect(after.map((k) => k.owner)).toContain(a);
    for (const { owner, key } of after) {
      for (const s of backup) expect(await decrypts(key, s), `${s.what} with ${owner}'s key`).toBe(false);
    }
    // No wrapped key unwraps under A's id except A's new one.
    const wrapped = await asOwner(
      server,
      (sql) =>
        sql<
          { id: string; wrapped_key: Uint8Array }[]
        >`select id, wrapped_key from owners where wrapped_key is not null`,
    );
    for (const w of wrapped.filter((r) => r.id !== a)) {
      await expect(ring.unwrapDataKey(w.wrapped_key, a), w.id).rejects.toThrow();
    }

    // B is untouched: same memories, history and clusters, all readable.
    const bAfter = await backend.memories.listMemories({ endUserId: B });
    expect(bAfter.memories.map((m) => [m.id, m.content, m.version])).toEqual(
      bBefore.memories.map((m) => [m.id, m.content, m.version]),
    );
    const edited = bAfter.memories.find((m) => m.version === 2)!;
    expect((await backend.memories.getMemoryHistory({ endUserId: B, id: edited.id })).versions).toHaveLength(2);
    expect((await backend.memories.listClusters({ endUserId: B })).clusters.length).toBeGreaterThan(0);
    const tokenB = (await delegate(server, backend, B)).client(MemoryService);
    expect((await tokenB.searchMemories({ query: "asthma" })).results.length).toBeGreaterThan(0);
    const bRows = await asOwner(server, (sql) => ownerRowCounts(sql, b));
    expect(bRows.owners).toBe(1);
    expect(bRows.memories).toBe(3);
  });
});
