/**
 * Spec: key lifecycle. Rotation (keys add + promote: new data keys wrapped under the new key, old
 * ones still readable; rewrap leaves no data key under the old id; disabling the old key then breaks
 * nothing), upgrading a database written with encryption off, per-user data key rotation, and
 * crypto-shredding (after eraseUserData a backup copy of the rows cannot be decrypted any more).
 */
import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { keysAdd, keysDisable, keysList, keysPromote, keysRewrap, KeyInUseError } from "../../src/cli/keys.js";
import { DataKey, MasterKeyring } from "../../src/security/crypto.js";
import { eraseUserData } from "../../src/store/erase-user.js";
import { contentAd } from "../../src/store/memory-rows.js";
import { inTx } from "../../src/store/tx.js";
import { code, counterValue, openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

async function write(fx: StoreFixture, user: string, content: string, threadId = "") {
  return (await fx.service.createMemory({ content, threadId }, fx.ctx(user))).memory!;
}
async function read(fx: StoreFixture, user: string, id: string) {
  return (await fx.service.getMemory({ id }, fx.ctx(user))).memory!.content;
}

describe("master key rotation", () => {
  it("add + promote, rewrap, disable: reads work at every step", async () => {
    const k1 = await MasterKeyring.generate();
    const oldId = k1.primaryKeyId;
    f = await openStoreFixture({ MEMORIC_KEYSET: k1.toBase64() });
    const alice = await f.newUser("alice");
    const a1 = await write(f, alice, "alice wrote this under the first key");
    await f.service.updateMemory(
      { id: a1.id, content: "alice edited it", updateMask: { paths: ["content"] } },
      f.ctx(alice),
    );

    const added = await keysAdd(k1.toBase64());
    expect(added.keys.find((k) => k.id === added.keyId)).toMatchObject({ status: "enabled", primary: false });
    const promoted = await keysPromote(added.keyset, added.keyId);
    expect(await keysList(promoted.keyset)).toEqual(
      expect.arrayContaining([{ id: added.keyId, status: "enabled", primary: true }]),
    );

    await f.reopen({ MEMORIC_KEYSET: promoted.keyset });
    const carol = await f.newUser("carol");
    await write(f, carol, "carol is new");
    const ids = async () =>
      Object.fromEntries(
        (
          await f!.sql<
            { user_id: string; id: string }[]
          >`select id as user_id, master_key_id::text as id from owners where wrapped_key is not null`
        ).map((r) => [r.user_id, r.id]),
      );
    expect((await ids())[carol]).toBe(String(added.keyId));
    expect((await ids())[alice]).toBe(String(oldId));
    expect(await read(f, alice, a1.id)).toBe("alice edited it");

    await expect(keysDisable(promoted.keyset, oldId, { sql: f.sql })).rejects.toBeInstanceOf(KeyInUseError);
    const result = await keysRewrap({ sql: f.sql, keysetBase64: promoted.keyset });
    expect(result).toMatchObject({ userKeysRewrapped: 1, failedUsers: [] });
    expect(Object.values(await ids()).every((id) => id === String(added.keyId))).toBe(true);
    // Resumable/idempotent: a second run has nothing left to do.
    expect(await keysRewrap({ sql: f.sql, keysetBase64: promoted.keyset })).toMatchObject({
      userKeysRewrapped: 0,
      rowsReencrypted: 0,
    });

    const disabled = await keysDisable(promoted.keyset, oldId, { sql: f.sql });
    expect(disabled.keys.find((k) => k.id === oldId)?.status).toBe("disabled");
    await f.reopen({ MEMORIC_KEYSET: disabled.keyset });
    expect(await read(f, alice, a1.id)).toBe("alice edited it");
    const h = await f.service.getMemoryHistory({ id: a1.id }, f.ctx(alice));
    expect(h.versions.map((v) => v.content)).toEqual(["alice wrote this under the first key", "alice edited it"]);
    expect(await read(f, carol, (await f.service.listMemories({}, f.ctx(carol))).memories[0]!.id)).toBe("carol is new");
    await write(f, alice, "still writable");
  });

  it("a data key wrapped under a disabled master key is DataLoss, not garbage", async () => {
    const k1 = await MasterKeyring.generate();
    f = await openStoreFixture({ MEMORIC_KEYSET: k1.toBase64() });
    const u = await f.newUser();
    const m = await write(f, u, "wrapped under k1");
    const added = await keysAdd(k1.toBase64());
    const promoted = await keysPromote(added.keyset, added.keyId);
    const forced = await keysDisable(promoted.keyset, k1.primaryKeyId, { sql: f.sql, force: true });
    expect(forced.stillWrapped).toBe(1);
    await f.reopen({ MEMORIC_KEYSET: forced.keyset });
    expect(await code(f.service.getMemory({ id: m.id }, f.ctx(u)))).toBe(Code.DataLoss);
    expect(await counterValue(f, "memoric_decryption_failures_total", { what: "data_key" })).toBe(1);
  });
});

describe("encryption off, then upgraded by rewrap", () => {
  it("stores plaintext marked per row, and rewrap encrypts every row so reads stay the same", async () => {
    f = await openStoreFixture({ MEMORIC_ENCRYPTION: "off" });
    const u = await f.newUser();
    const m = await write(f, u, "plain diary entry about tulips", "th");
    await write(f, u, "second plain entry about tulips", "th");
    await f.service.updateMemory(
      { id: m.id, content: "plain diary entry about roses", updateMask: { paths: ["content"] } },
      f.ctx(u),
    );
    await f.service.rebuildClusters({}, f.ctx(u));
    const before = await f.sql<
      { n: number }[]
    >`select count(*)::int as n from memories where not encrypted and convert_from(content_ct, 'UTF8') like '%tulips%'`;
    expect(before[0]!.n).toBe(1);

    const snapshot = async () => ({
      list: (await f!.service.listMemories({}, f!.ctx(u))).memories.map((x) => [x.id, x.content, x.topic, x.metadata]),
      history: (await f!.service.getMemoryHistory({ id: m.id }, f!.ctx(u))).versions.map((v) => v.content),
      search: (await f!.service.searchMemories({ query: "tulips" }, f!.ctx(u))).results.map((r) => r.memory!.id),
      clusters: (await f!.service.listClusters({}, f!.ctx(u))).clusters.map((c) => [c.topic, c.summary]),
    });
    const plain = await snapshot();

    const [plainRows] = await f.sql<{ m: number; v: number; c: number }[]>`
      select (select count(*) from memories)::int as m, (select count(*) from memory_versions)::int as v,
        (select count(*) from memory_clusters)::int as c`;
    expect(plainRows).toMatchObject({ m: 2, v: 1 });
    const result = await keysRewrap({ sql: f.sql, keysetBase64: f.config.secrets.keysetBase64! });
    expect(result.plaintextRowsEncrypted).toBe(plainRows!.m + plainRows!.v + plainRows!.c);
    const left = await f.sql<{ n: number }[]>`
      select ((select count(*) from memories where not encrypted)
        + (select count(*) from memory_versions where not encrypted)
        + (select count(*) from memory_clusters where not encrypted))::int as n`;
    expect(left[0]!.n).toBe(0);
    const leaked = await f.sql<
      { n: number }[]
    >`select count(*)::int as n from memories where encode(content_ct, 'escape') like '%tulips%'`;
    expect(leaked[0]!.n).toBe(0);

    await f.reopen({ MEMORIC_ENCRYPTION: "on" });
    expect(await snapshot()).toEqual(plain);
  });

  it("without any keyset, data keys are stored unwrapped and rewrap wraps them", async () => {
    f = await openStoreFixture({ MEMORIC_ENCRYPTION: "off" }, null);
    const u = await f.newUser();
    const m = await write(f, u, "no keyset at all");
    const [row] = await f.sql<{ master_key_id: string | null }[]>`select master_key_id from owners where id = ${u}`;
    expect(row!.master_key_id).toBeNull();
    const ring = await MasterKeyring.generate();
    const r = await keysRewrap({ sql: f.sql, keysetBase64: ring.toBase64() });
    expect(r).toMatchObject({ userKeysRewrapped: 1, plaintextRowsEncrypted: 1 });
    await f.reopen({ MEMORIC_ENCRYPTION: "on", MEMORIC_KEYSET: ring.toBase64() });
    expect(await read(f, u, m.id)).toBe("no keyset at all");
  });
});

describe("per-user data key rotation", () => {
  it("moves every row to the new data key; search keeps working (stable blind index)", async () => {
    f = await openStoreFixture();
    const u = await f.newUser();
    const m = await write(f, u, "kiwi smoothie recipe");
    const [before] = await f.sql<{ key_id: string }[]>`select key_id::text from memories where id = ${m.id}`;
    const r = await keysRewrap({ sql: f.sql, keysetBase64: f.config.secrets.keysetBase64!, rotateDataKeys: true });
    expect(r).toMatchObject({ dataKeysRotated: 1, rowsReencrypted: 1 });
    const [after] = await f.sql<{ key_id: string }[]>`select key_id::text from memories where id = ${m.id}`;
    expect(after!.key_id).not.toBe(before!.key_id);
    // This process still caches the old keyset: reads recover by re-reading the key (a one-statement
    // read, committed before it could, runs again as an ordinary transaction).
    expect(await read(f, u, m.id)).toBe("kiwi smoothie recipe");
    expect((await f.service.searchMemories({ query: "kiwi" }, f.ctx(u))).results[0]!.memory!.id).toBe(m.id);
  });

  it("a search that meets a stale cached key first recovers the same way", async () => {
    f = await openStoreFixture();
    const u = await f.newUser();
    const m = await write(f, u, "mango lassi recipe");
    await keysRewrap({ sql: f.sql, keysetBase64: f.config.secrets.keysetBase64!, rotateDataKeys: true });
    const found = await f.service.searchMemories({ query: "mango" }, f.ctx(u));
    expect(found.results.map((r) => [r.memory!.id, r.memory!.content])).toEqual([[m.id, "mango lassi recipe"]]);
    expect(await read(f, u, m.id)).toBe("mango lassi recipe");
  });
});

describe("crypto-shredding", () => {
  it("after eraseUserData, a backup of the user's rows can no longer be decrypted", async () => {
    f = await openStoreFixture();
    const alice = await f.newUser("alice");
    const bob = await f.newUser("bob");
    const m = await write(f, alice, "alice's medical history");
    await f.service.updateMemory(
      { id: m.id, content: "alice's updated medical history", updateMask: { paths: ["content"] } },
      f.ctx(alice),
    );
    await write(f, bob, "bob stays");
    const backup = await f.sql<Record<string, unknown>[]>`select * from memories where account_id = ${alice}`;
    const backupVersions = await f.sql<
      { content_ct: Buffer; version: number }[]
    >`select content_ct, version from memory_versions where account_id = ${alice}`;

    const keys = f.app.keys;
    const erased = await inTx(f.sql, { kind: "admin", userId: bob }, (tx) => eraseUserData(tx, keys, alice));
    expect(erased).toMatchObject({ keys: 1, memories: 1, versions: 1 });
    const counts = await f.sql`select
      (select count(*) from owners where account_id = ${alice} and wrapped_key is not null)::int as k,
      (select count(*) from memories where account_id = ${alice})::int as m,
      (select count(*) from memory_terms where account_id = ${alice})::int as t,
      (select count(*) from memory_versions where account_id = ${alice})::int as v`;
    expect(counts[0]).toEqual({ k: 0, m: 0, t: 0, v: 0 });

    // Every key the database still holds, unwrapped with the master keyset, fails on alice's copy.
    const ring = f.keyring!;
    for (const k of await f.sql<
      { user_id: string; wrapped_key: Buffer }[]
    >`select id as user_id, wrapped_key from owners where wrapped_key is not null`) {
      await expect(ring.unwrapDataKey(k.wrapped_key, alice)).rejects.toThrow();
      const other = await DataKey.fromBytes(await ring.unwrapDataKey(k.wrapped_key, k.user_id));
      for (const v of backupVersions)
        await expect(other.decryptText(v.content_ct, contentAd(alice, m.id, v.version, "content"))).rejects.toThrow();
    }
    // Restoring the memories rows from the backup (with an owner row, its key destroyed) gives
    // DataLoss, never content.
    await f.sql`insert into owners (id, account_id) values (${alice}, ${alice})`;
    await f.sql`insert into memories ${f.sql(backup)}`;
    expect(await code(f.service.getMemory({ id: m.id }, f.ctx(alice)))).toBe(Code.DataLoss);
    expect(await read(f, bob, (await f.service.listMemories({}, f.ctx(bob))).memories[0]!.id)).toBe("bob stays");
  });
});
