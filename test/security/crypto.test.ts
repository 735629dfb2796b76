import { describe, expect, it } from "vitest";
import {
  ciphertextKeyId,
  DataKey,
  DecryptionError,
  encodeAssociatedData,
  KeysetError,
  MasterKeyring,
  type AssociatedData,
} from "../../src/security/crypto.js";
import { AeadKeyset } from "../../src/security/tink.js";

const ad: AssociatedData = { table: "memories", column: "content", rowId: "row-1", ownerId: "user-1" };

async function expectDecryptionError(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DecryptionError);
  expect((err as Error).message).toBe("decryption failed");
}

describe("DataKey", () => {
  it("round-trips text and bytes", async () => {
    const key = await DataKey.generate();
    const ct = await key.encrypt("I am allergic to peanuts 🥜", ad);
    expect(await key.decryptText(ct, ad)).toBe("I am allergic to peanuts 🥜");
    const bin = new Uint8Array([0, 1, 2, 255]);
    expect(await key.decrypt(await key.encrypt(bin, ad), ad)).toEqual(bin);
    expect(await key.decryptText(await key.encrypt("", ad), ad)).toBe("");
  });

  it("produces different ciphertexts for the same plaintext (random nonce)", async () => {
    const key = await DataKey.generate();
    const a = await key.encrypt("same", ad);
    const b = await key.encrypt("same", ad);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("carries the primary key id in a 5-byte prefix", async () => {
    const key = await DataKey.generate();
    const ct = await key.encrypt("x", ad);
    expect(ct[0]).toBe(1);
    expect(ciphertextKeyId(ct)).toBe(key.keyId);
    expect(ct.length).toBe(5 + 12 + 1 + 16); // prefix + IV + plaintext + GCM tag
    expect(() => ciphertextKeyId(new TextEncoder().encode("plain text row"))).toThrow(/TINK prefix/);
  });

  it("fails with DecryptionError when any byte is flipped", async () => {
    const key = await DataKey.generate();
    const ct = await key.encrypt("secret", ad);
    for (const i of [0, 3, 7, ct.length - 1]) {
      const bad = ct.slice();
      bad[i] = bad[i]! ^ 0x01;
      await expectDecryptionError(key.decrypt(bad, ad));
    }
    await expectDecryptionError(key.decrypt(ct.subarray(0, 10), ad));
    await expectDecryptionError(key.decrypt(new Uint8Array(0), ad));
  });

  it("binds ciphertexts to table, column, row and user", async () => {
    const key = await DataKey.generate();
    const ct = await key.encrypt("secret", ad);
    await expectDecryptionError(key.decrypt(ct, { ...ad, rowId: "row-2" }));
    await expectDecryptionError(key.decrypt(ct, { ...ad, ownerId: "user-2" }));
    await expectDecryptionError(key.decrypt(ct, { ...ad, column: "metadata" }));
    await expectDecryptionError(key.decrypt(ct, { ...ad, table: "memory_versions" }));
  });

  it("encodes associated data unambiguously", () => {
    const a = encodeAssociatedData({ table: "a|b", column: "c", rowId: "r", ownerId: "u" });
    const b = encodeAssociatedData({ table: "a", column: "b|c", rowId: "r", ownerId: "u" });
    const c = encodeAssociatedData({ table: "ab", column: "", rowId: "r", ownerId: "u" });
    const d = encodeAssociatedData({ table: "a", column: "b", rowId: "r", ownerId: "u" });
    const all = [a, b, c, d].map((x) => Buffer.from(x).toString("hex"));
    expect(new Set(all).size).toBe(4);
  });

  it("keeps the associated data's byte format (stored ciphertexts are bound to it)", () => {
    const owner = "\u00fcn\u00efc\u00f8d\u00e9 \ud800 owner"; // non-ASCII, and a lone surrogate (U+FFFD)
    const bytes = encodeAssociatedData({
      table: "memories",
      column: "content",
      rowId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      ownerId: owner,
    });
    expect(Buffer.from(bytes).toString("hex")).toBe(
      "6d656d6f7269632f61642f7631000000086d656d6f7269657300000007636f6e74656e7400000024" +
        "30313930613162322d633364342d376535662d386139622d306331643265336634613562" +
        "00000015c3bc6ec3af63c3b864c3a920efbfbd206f776e6572",
    );
  });

  it("another user's data key cannot decrypt", async () => {
    const mine = await DataKey.generate();
    const theirs = await DataKey.generate();
    await expectDecryptionError(theirs.decrypt(await mine.encrypt("secret", ad), ad));
  });

  it("rejects text that is not UTF-8 in decryptText", async () => {
    const key = await DataKey.generate();
    const ct = await key.encrypt(new Uint8Array([0xff, 0xfe]), ad);
    await expectDecryptionError(key.decryptText(ct, ad));
  });

  it("serializes and parses, keeping keys and blind index key", async () => {
    const key = await DataKey.generate();
    const ct = await key.encrypt("persisted", ad);
    const again = await DataKey.fromBytes(key.toBytes());
    expect(again.keyId).toBe(key.keyId);
    expect(await again.decryptText(ct, ad)).toBe("persisted");
    expect(again.blindIndexKey()).toEqual(key.blindIndexKey());
    expect(key.blindIndexKey()).toHaveLength(32);
    await expect(DataKey.fromBytes(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(KeysetError);
  });

  it("derives different blind index keys per user", async () => {
    const a = await DataKey.generate();
    const b = await DataKey.generate();
    expect(a.blindIndexKey()).not.toEqual(b.blindIndexKey());
  });

  it("rotates: new ciphertexts use the new key, old ones still decrypt, index key unchanged", async () => {
    const key = await DataKey.generate();
    const oldId = key.keyId;
    const indexKey = key.blindIndexKey();
    const oldCt = await key.encrypt("old", ad);
    const newId = await key.addKeyAndPromote();
    expect(newId).not.toBe(oldId);
    expect(key.keyId).toBe(newId);
    const newCt = await key.encrypt("new", ad);
    expect(ciphertextKeyId(newCt)).toBe(newId);
    expect(await key.decryptText(oldCt, ad)).toBe("old");
    expect(key.blindIndexKey()).toEqual(indexKey);
    const reloaded = await DataKey.fromBytes(key.toBytes());
    expect(reloaded.keys().map((k) => k.id)).toEqual([oldId, newId]);
    expect(await reloaded.decryptText(oldCt, ad)).toBe("old");
  });
});

describe("MasterKeyring", () => {
  it("wraps and unwraps a data key, bound to the user id", async () => {
    const ring = await MasterKeyring.generate();
    const data = await DataKey.generate();
    const wrapped = await ring.wrapDataKey(data.toBytes(), "user-1");
    expect(await ring.unwrapDataKey(wrapped, "user-1")).toEqual(data.toBytes());
    await expectDecryptionError(ring.unwrapDataKey(wrapped, "user-2"));
    await expectDecryptionError((await MasterKeyring.generate()).unwrapDataKey(wrapped, "user-1"));
    const flipped = wrapped.slice();
    flipped[20] = flipped[20]! ^ 0x80;
    await expectDecryptionError(ring.unwrapDataKey(flipped, "user-1"));
  });

  it("lists keys with status and primary flag", async () => {
    const ring = await MasterKeyring.generate();
    expect(ring.keys()).toEqual([{ id: ring.primaryKeyId, status: "enabled", primary: true }]);
  });

  it("rotates: addKey is not primary until promoted; old wraps keep working", async () => {
    const ring = await MasterKeyring.generate();
    const oldId = ring.primaryKeyId;
    const oldWrapped = await ring.wrapDataKey(new Uint8Array([1, 2, 3]), "u");

    const newId = await ring.addKey();
    expect(ring.primaryKeyId).toBe(oldId);
    expect(ciphertextKeyId(await ring.wrapDataKey(new Uint8Array([4]), "u"))).toBe(oldId);

    ring.promote(newId);
    expect(ring.primaryKeyId).toBe(newId);
    const newWrapped = await ring.wrapDataKey(new Uint8Array([4, 5]), "u");
    expect(ciphertextKeyId(newWrapped)).toBe(newId);
    expect(await ring.unwrapDataKey(oldWrapped, "u")).toEqual(new Uint8Array([1, 2, 3]));
    expect(ring.keys()).toEqual([
      { id: oldId, status: "enabled", primary: false },
      { id: newId, status: "enabled", primary: true },
    ]);

    ring.disable(oldId);
    await expectDecryptionError(ring.unwrapDataKey(oldWrapped, "u"));
    expect(await ring.unwrapDataKey(newWrapped, "u")).toEqual(new Uint8Array([4, 5]));
    expect(ring.keys()[0]).toEqual({ id: oldId, status: "disabled", primary: false });

    // The disabled state survives serialization (it is the keyset you'd put in MEMORIC_KEYSET).
    const reloaded = await MasterKeyring.fromBase64(ring.toBase64());
    await expectDecryptionError(reloaded.unwrapDataKey(oldWrapped, "u"));
    expect(reloaded.keys()).toEqual(ring.keys());
  });

  it("refuses invalid key operations with KeysetError", async () => {
    const ring = await MasterKeyring.generate();
    const first = ring.primaryKeyId;
    expect(() => ring.disable(first)).toThrow(KeysetError);
    expect(() => ring.promote(12345)).toThrow(/no key with id/);
    const second = await ring.addKey();
    ring.promote(second);
    ring.disable(first);
    expect(() => ring.promote(first)).toThrow(/not enabled/);
    expect(ring.primaryKeyId).toBe(second); // failed operations changed nothing
  });

  it("round-trips through base64", async () => {
    const ring = await MasterKeyring.generate();
    await ring.addKey();
    const wrapped = await ring.wrapDataKey(new Uint8Array([9, 9]), "u");
    const again = await MasterKeyring.fromBase64(ring.toBase64());
    expect(again.toBase64()).toBe(ring.toBase64());
    expect(again.keys()).toEqual(ring.keys());
    expect(await again.unwrapDataKey(wrapped, "u")).toEqual(new Uint8Array([9, 9]));
    // Surrounding whitespace (e.g. from a secrets file) is tolerated.
    expect((await MasterKeyring.fromBase64(`  ${ring.toBase64()}\n`)).primaryKeyId).toBe(ring.primaryKeyId);
  });

  it("rejects garbage with an error naming MEMORIC_KEYSET", async () => {
    const garbage = [
      "",
      "not base64 at all!",
      Buffer.from("hello world").toString("base64"),
      Buffer.from(new Uint8Array(64).fill(7)).toString("base64"),
    ];
    for (const g of garbage) {
      const err = await MasterKeyring.fromBase64(g).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, g).toBeInstanceOf(KeysetError);
      expect((err as Error).message).toMatch(/MEMORIC_KEYSET/);
    }
  });

  it("rejects a valid Tink keyset whose key has no TINK prefix (policy)", async () => {
    const bytes = Buffer.from((await MasterKeyring.generate()).toBase64(), "base64");
    // A generated keyset ends with the key's output_prefix_type field: 0x20 0x01 (TINK).
    expect([...bytes.subarray(-2)]).toEqual([0x20, 0x01]);
    bytes[bytes.length - 1] = 0x03; // RAW
    await expect(MasterKeyring.fromBase64(bytes.toString("base64"))).rejects.toThrow(
      /MEMORIC_KEYSET.*TINK output prefix/,
    );
  });
});

describe("the native AES-GCM primitive", () => {
  const bytes = new TextEncoder().encode("the user is allergic to peanuts");
  const aad = new TextEncoder().encode("memories|content|row-1|user-1");
  const fails = (p: Promise<unknown>) => expect(p).rejects.toThrow();

  it("writes exactly what Tink reads, and reads what Tink writes", async () => {
    const added = await (await AeadKeyset.generate()).withNewKey();
    for (const keyset of [await AeadKeyset.generate(), added.keyset.withPrimary(added.keyId)]) {
      const [native, tink] = [await keyset.aead(), await keyset.tinkAead()];
      const a = await native.encrypt(bytes, aad);
      const b = await tink.encrypt(bytes, aad);
      expect(a.length).toBe(b.length);
      expect(a.subarray(0, 5)).toEqual(b.subarray(0, 5)); // same prefix: 0x01 + primary key id
      expect(await tink.decrypt(a, aad)).toEqual(bytes);
      expect(await native.decrypt(b, aad)).toEqual(bytes);
      expect(await native.decrypt(a, aad)).toEqual(bytes);
      await fails(native.decrypt(b, new TextEncoder().encode("other row")));
      await fails(tink.decrypt(a, new TextEncoder().encode("other row")));
    }
  });

  it("decrypts with a non-primary enabled key, never with a disabled one", async () => {
    const first = await AeadKeyset.generate();
    const old = await (await first.aead()).encrypt(bytes, aad);
    const { keyset, keyId } = await first.withNewKey();
    const rotated = keyset.withPrimary(keyId);
    expect(await (await rotated.aead()).decrypt(old, aad)).toEqual(bytes);
    const disabled = rotated.withDisabled(first.primaryKeyId);
    await fails((await disabled.aead()).decrypt(old, aad));
    await fails((await disabled.tinkAead()).decrypt(old, aad));
  });

  it("rejects truncated and unprefixed ciphertexts", async () => {
    const keyset = await AeadKeyset.generate();
    const native = await keyset.aead();
    const ct = await native.encrypt(bytes, aad);
    await fails(native.decrypt(ct.subarray(0, 20), aad));
    await fails(native.decrypt(ct.subarray(5), aad));
    await fails(native.decrypt(new Uint8Array(0), aad));
  });
});
