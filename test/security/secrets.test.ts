import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  generateApiKey,
  generateOpaqueToken,
  hashSecret,
  isApiKey,
  timingSafeEqualHex,
} from "../../src/security/secrets.js";

const B64URL = /^[A-Za-z0-9_-]+$/;

describe("generateOpaqueToken", () => {
  it("returns 32 random bytes as unpadded base64url by default", () => {
    const t = generateOpaqueToken();
    expect(t).toMatch(B64URL);
    expect(Buffer.from(t, "base64url")).toHaveLength(32);
    expect(t).toHaveLength(43);
  });

  it("honours the requested size", () => {
    expect(Buffer.from(generateOpaqueToken(48), "base64url")).toHaveLength(48);
    expect(Buffer.from(generateOpaqueToken(16), "base64url")).toHaveLength(16);
  });

  it("refuses fewer than 128 bits", () => {
    for (const n of [15, 8, 0, -1, 16.5]) expect(() => generateOpaqueToken(n)).toThrow(RangeError);
  });

  it("never repeats", () => {
    const seen = new Set(Array.from({ length: 1000 }, () => generateOpaqueToken()));
    expect(seen.size).toBe(1000);
  });
});

describe("hashSecret", () => {
  it("is lower-case hex SHA-256 of the UTF-8 secret", () => {
    expect(hashSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashSecret("ключ")).toBe(createHash("sha256").update(Buffer.from("ключ", "utf8")).digest("hex"));
  });

  it("is deterministic, so a presented secret can be looked up by its hash", () => {
    const t = generateOpaqueToken();
    expect(hashSecret(t)).toBe(hashSecret(t));
    expect(hashSecret(t)).not.toBe(hashSecret(t + "x"));
  });
});

describe("generateApiKey", () => {
  it("returns mk_ + 32 random bytes in base64url, its 10-char prefix, and its hash", () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^mk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(3), "base64url")).toHaveLength(32);
    expect(prefix).toBe(key.slice(0, 10));
    expect(prefix.startsWith("mk_")).toBe(true);
    expect(hash).toBe(hashSecret(key));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("never repeats", () => {
    const keys = Array.from({ length: 500 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(500);
    expect(new Set(keys.map((k) => k.hash)).size).toBe(500);
  });
});

describe("isApiKey", () => {
  it("recognises generated keys", () => {
    for (let i = 0; i < 50; i++) expect(isApiKey(generateApiKey().key)).toBe(true);
  });

  it("rejects JWTs, opaque tokens, and near-misses", () => {
    const key = generateApiKey().key;
    for (const t of [
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig",
      generateOpaqueToken(),
      "mk_",
      key.slice(0, -1),
      key + "A",
      "MK_" + key.slice(3),
      "mk-" + key.slice(3),
      key.slice(0, -1) + "=",
      key.slice(0, -1) + ".",
      ` ${key}`,
      "",
    ]) {
      expect(isApiKey(t)).toBe(false);
    }
    expect(isApiKey(undefined as unknown as string)).toBe(false);
  });
});

describe("timingSafeEqualHex", () => {
  const h = hashSecret("a");

  it("is true for equal digests, ignoring hex case", () => {
    expect(timingSafeEqualHex(h, hashSecret("a"))).toBe(true);
    expect(timingSafeEqualHex(h, h.toUpperCase())).toBe(true);
  });

  it("is false for different digests, including a one-nibble difference", () => {
    expect(timingSafeEqualHex(h, hashSecret("b"))).toBe(false);
    const flipped = (h[0] === "0" ? "1" : "0") + h.slice(1);
    expect(timingSafeEqualHex(h, flipped)).toBe(false);
  });

  it("is false, without throwing, for different lengths, non-hex, odd lengths, empty or non-strings", () => {
    expect(timingSafeEqualHex(h, h.slice(0, 62))).toBe(false);
    expect(timingSafeEqualHex(h, h + "00")).toBe(false);
    // Buffer.from(…, "hex") silently stops at the first bad digit; these must not collapse to equal.
    expect(timingSafeEqualHex("abzz", "abyy")).toBe(false);
    expect(timingSafeEqualHex("abc", "abc")).toBe(false);
    expect(timingSafeEqualHex("", "")).toBe(false);
    expect(timingSafeEqualHex(h, null as unknown as string)).toBe(false);
  });
});
