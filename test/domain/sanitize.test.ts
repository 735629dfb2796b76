import { describe, expect, it } from "vitest";
import { hmacIdentifier, safeForLog } from "../../src/domain/sanitize.js";

describe("safeForLog", () => {
  it("leaves ordinary text (including non-ASCII and emoji) untouched", () => {
    expect(safeForLog("alice@example.com — café 😀")).toBe("alice@example.com — café 😀");
  });

  it("escapes CR and LF so a value cannot forge a second log line", () => {
    const forged = "bob\r\n2024-01-01 INFO auth.login.success user=admin";
    const out = safeForLog(forged);
    expect(out).not.toMatch(/[\r\n]/);
    expect(out).toBe("bob\\r\\n2024-01-01 INFO auth.login.success user=admin");
  });

  it("neutralises ANSI escape sequences (7-bit ESC and 8-bit CSI)", () => {
    expect(safeForLog("\x1b[31mred\x1b[0m")).toBe("\\x1b[31mred\\x1b[0m");
    expect(safeForLog("\x9b2J")).toBe("\\x9b2J");
    expect(safeForLog("\x1b]0;pwned\x07")).toBe("\\x1b]0;pwned\\x07");
  });

  it("escapes every other C0/C1 control, DEL, Unicode line separators and bidi overrides", () => {
    expect(safeForLog("a\x00b\tc\x7fd\x85e")).toBe("a\\x00b\\tc\\x7fd\\x85e");
    expect(safeForLog("x\u2028y\u2029z")).toBe("x\\u2028y\\u2029z");
    expect(safeForLog("\u202euser")).toBe("\\u202euser");
  });

  it("escapes backslashes so escaped output is unambiguous", () => {
    expect(safeForLog("literal \\n")).toBe("literal \\\\n");
  });

  it("escapes lone surrogates but keeps valid pairs", () => {
    expect(safeForLog("a\ud800b")).toBe("a\\ud800b");
    expect(safeForLog("\udc00")).toBe("\\udc00");
  });

  it("truncates to maxLen code units with a trailing ellipsis", () => {
    const out = safeForLog("x".repeat(1000));
    expect(out).toHaveLength(512);
    expect(out.endsWith("…")).toBe(true);
    expect(safeForLog("abcdef", 4)).toBe("abc…");
    expect(safeForLog("abcd", 4)).toBe("abcd");
    expect(safeForLog("abc", 0)).toBe("");
  });

  it("never cuts an escape or a surrogate pair in half", () => {
    expect(safeForLog("ab\x1bcdef", 5)).toBe("ab…");
    expect(safeForLog("a😀😀", 4)).toBe("a😀…");
    expect(safeForLog("a😀😀", 3)).toBe("a…");
  });

  it("rejects a negative or fractional maxLen", () => {
    expect(() => safeForLog("x", -1)).toThrow(RangeError);
    expect(() => safeForLog("x", 1.5)).toThrow(RangeError);
  });
});

describe("hmacIdentifier", () => {
  const salt = Buffer.alloc(32, 7);

  it("is deterministic hex HMAC-SHA256, so a search term can be hashed the same way", () => {
    const h = hmacIdentifier(salt, "alice");
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hmacIdentifier(salt, "alice")).toBe(h);
    expect(h).not.toContain("alice");
  });

  it("depends on the salt and the value", () => {
    expect(hmacIdentifier(salt, "alice")).not.toBe(hmacIdentifier(salt, "bob"));
    expect(hmacIdentifier(Buffer.alloc(32, 8), "alice")).not.toBe(hmacIdentifier(salt, "alice"));
  });

  it("matches a known vector (RFC 4231 test case 2)", () => {
    expect(hmacIdentifier(Buffer.from("Jefe"), "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("refuses an empty salt", () => {
    expect(() => hmacIdentifier(Buffer.alloc(0), "x")).toThrow(RangeError);
  });
});
