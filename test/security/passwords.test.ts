import bcrypt from "bcrypt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bcryptCompare } from "../../src/security/bcrypt-pool.js";
import {
  checkPasswordPolicy,
  commonPasswordCount,
  hashPassword,
  isCommonPassword,
  normalizePassword,
  PasswordPolicyError,
  prepareDummyHash,
  verifyPassword,
  type PasswordRule,
} from "../../src/security/passwords.js";

// bcrypt runs on worker threads (bcrypt-pool.ts): count the compares at the pool's entry.
vi.mock("../../src/security/bcrypt-pool.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/security/bcrypt-pool.js")>();
  return { ...real, bcryptCompare: vi.fn(real.bcryptCompare) };
});
const compareCalls = () => {
  const spy = vi.mocked(bcryptCompare);
  spy.mockClear();
  return spy;
};

// The minimum cost hashPassword allows; used wherever cost itself is not under test.
const COST = 10;
const GOOD = "violet-otter-tundra-42";

function policyError(
  password: string,
  ctx: { username?: string; email?: string } = {},
  opts = {},
): PasswordPolicyError {
  try {
    checkPasswordPolicy(password, ctx, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(PasswordPolicyError);
    return e as PasswordPolicyError;
  }
  throw new Error("password was unexpectedly accepted");
}
function expectRule(rule: PasswordRule, password: string, ctx = {}, opts = {}) {
  const err = policyError(password, ctx, opts);
  expect(err.rule).toBe(rule);
  expect(err.field).toBe("password");
  return err;
}
const ok = (password: string, ctx = {}, opts = {}) =>
  expect(() => checkPasswordPolicy(password, ctx, opts)).not.toThrow();

describe("normalizePassword", () => {
  it("applies NFKC: compatibility forms and composed/decomposed accents compare equal", () => {
    expect(normalizePassword("ＡＢＣ１２３")).toBe("ABC123");
    expect(normalizePassword("ﬁle")).toBe("file");
    expect(normalizePassword("cafe\u0301")).toBe("caf\u00e9");
    expect(normalizePassword(GOOD)).toBe(GOOD);
  });
});

describe("checkPasswordPolicy", () => {
  it("accepts a long, uncommon passphrase", () => ok(GOOD));

  describe("length (counted in code points after NFKC)", () => {
    it("requires 12 characters by default, and says so", () => {
      expect(expectRule("min_length", "kq8#vv3!pz0").message).toMatch(/at least 12 characters/);
      ok("kq8#vv3!pz0w");
    });

    it("counts code points, not UTF-16 units: 11 emoji are too short, 12 are enough", () => {
      expectRule("min_length", "🦦".repeat(11));
      ok("🦦".repeat(12));
    });

    it("normalizes before counting (4 'ﬃ' ligatures are 12 letters)", () => {
      ok("ﬃ".repeat(4));
    });

    it("honours a configured minimum, but never one below 8", () => {
      ok("kq8#vv3!", {}, { minLength: 8 });
      expect(expectRule("min_length", GOOD, {}, { minLength: 30 }).message).toMatch(/30/);
      expect(() => checkPasswordPolicy(GOOD, {}, { minLength: 7 })).toThrow(RangeError);
      expect(() => checkPasswordPolicy(GOOD, {}, { minLength: 8.5 })).toThrow(RangeError);
    });
  });

  describe("72-byte bcrypt ceiling (rejected, never truncated)", () => {
    it("accepts exactly 72 bytes and rejects 73", () => {
      ok("k".repeat(36) + "q".repeat(36));
      expect(expectRule("max_bytes", "k".repeat(37) + "q".repeat(36)).message).toMatch(/72 bytes/);
    });

    it("counts UTF-8 bytes: 36 'é' (72 bytes) pass, 37 (74 bytes) fail", () => {
      ok("é".repeat(36));
      expectRule("max_bytes", "é".repeat(37));
    });

    it("measures after NFKC (36 decomposed e+accent compose to 72 bytes)", () => {
      expect(Buffer.byteLength("e\u0301".repeat(36))).toBe(108);
      ok("e\u0301".repeat(36));
    });
  });

  it("rejects control characters (NUL, tab, newline)", () => {
    for (const p of [`${GOOD}\u0000x`, `${GOOD}\tx`, `${GOOD}\n`]) expectRule("control_characters", p);
  });

  describe("common / breached passwords", () => {
    it("ships a list of at least 10,000 entries", () => {
      expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
    });

    it("rejects listed passwords, case-insensitively and after NFKC", () => {
      for (const p of ["password1234", "PASSWORD1234", "PassWord1234", "１２３４５６７８９０１２", "1q2w3e4r5t6y"]) {
        expect(expectRule("common", p).message).toMatch(/commonly used or breached/);
      }
      for (const p of ["password", "iloveyou", "QwErTyUiOp"]) expectRule("common", p, {}, { minLength: 8 });
    });

    it("exposes the lookup", () => {
      expect(isCommonPassword("Dragon")).toBe(true);
      expect(isCommonPassword(GOOD)).toBe(false);
    });
  });

  describe("username and email", () => {
    it("rejects a password containing the username, case-insensitively", () => {
      expect(expectRule("contains_username", "my-ALICE-otters-42", { username: "alice" }).message).toMatch(/username/);
    });

    it("rejects a password containing the email's local part, or its part before a +tag", () => {
      expectRule("contains_email", "xx-bob.smith-yy-zz", { email: "Bob.Smith@example.com" });
      expectRule("contains_email", "otters-carol-42!", { email: "carol+memoric@example.com" });
    });

    it("does not check the email domain", () => {
      ok("example.com-otters-42", { email: "dave@example.com" });
    });

    it("ignores identifiers shorter than 3 characters", () => {
      ok("al-is-in-here-42", { username: "al", email: "al@example.com" });
      expectRule("contains_username", "ali-is-in-here-42", { username: "ali" });
    });
  });

  it("imposes no composition rules: all-lowercase, all-digit, spaces and non-Latin are fine", () => {
    for (const p of ["correcthorsebatterystaple", "839201746512", "violet otter tundra", "пароль-горы-река"]) ok(p);
  });

  it("never echoes the password in the error message", () => {
    const cases: [string, object, object][] = [
      ["Zq9!short", {}, {}],
      ["Zq9!".repeat(20), {}, {}],
      ["Zq9!-alice-long", { username: "alice" }, {}],
      ["password1234", {}, {}],
      ["Zq9!xxxxxxxx\u0000", {}, {}],
    ];
    for (const [p, ctx, opts] of cases) {
      const err = policyError(p, ctx, opts);
      expect(err.message).not.toContain(p);
      expect(err.message).not.toContain("Zq9!");
      expect(err.name).toBe("PasswordPolicyError");
      expect(err).toBeInstanceOf(Error);
    }
  });

  it("rejects a non-string password as a policy error", () => {
    expectRule("type", 12345678901234 as unknown as string);
  });
});

describe("hashPassword", () => {
  it("refuses a bcrypt cost below 10 (or outside bcrypt's range)", async () => {
    for (const cost of [9, 4, 0, -1, 10.5, 32, Number.NaN]) {
      await expect(hashPassword(GOOD, cost)).rejects.toThrow(RangeError);
    }
  });

  it("produces a salted bcrypt hash of the requested cost that verifies", async () => {
    const [a, b] = await Promise.all([hashPassword(GOOD, COST), hashPassword(GOOD, COST)]);
    expect(a).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.getRounds(a)).toBe(COST);
    expect(a).not.toBe(b);
    expect(await verifyPassword(GOOD, a, { dummyCost: COST })).toBe(true);
    expect(await verifyPassword(GOOD + "!", a, { dummyCost: COST })).toBe(false);
  });

  it("hashes the NFKC form, so equivalent spellings verify", async () => {
    const h = await hashPassword("caf\u00e9-ﬁle-otters", COST);
    expect(await verifyPassword("cafe\u0301-file-otters", h, { dummyCost: COST })).toBe(true);
  });

  it("rejects more than 72 bytes instead of truncating", async () => {
    await expect(hashPassword("k".repeat(73), COST)).rejects.toMatchObject({ rule: "max_bytes" });
  });
});

describe("verifyPassword", () => {
  afterEach(() => vi.restoreAllMocks());
  // Cheap stored hash: verifying it is fast; cost only matters for the dummy path.
  const storedP = bcrypt.hash(GOOD, 4);

  it("checks the password against the stored hash", async () => {
    const stored = await storedP;
    expect(await verifyPassword(GOOD, stored, { dummyCost: COST })).toBe(true);
    expect(await verifyPassword("violet-otter-tundra-43", stored, { dummyCost: COST })).toBe(false);
  });

  it("for an unknown user (null hash) still runs bcrypt on a dummy hash of the same cost, and says false", async () => {
    const spy = compareCalls();
    expect(await verifyPassword(GOOD, null, { dummyCost: COST })).toBe(false);
    expect(spy).toHaveBeenCalledTimes(1);
    const dummy = spy.mock.calls[0]![1] as string;
    expect(bcrypt.getRounds(dummy)).toBe(COST);
  });

  it("treats an unusable stored hash like an unknown user", async () => {
    const spy = compareCalls();
    for (const bad of ["", "not-a-hash", "$2b$10$short", "$argon2id$v=19$m=65536$abc"]) {
      expect(await verifyPassword(GOOD, bad, { dummyCost: COST })).toBe(false);
    }
    expect(spy).toHaveBeenCalledTimes(4);
  });

  it("says false (after a dummy compare) for over-long or non-string passwords", async () => {
    const spy = compareCalls();
    expect(await verifyPassword("k".repeat(73), await storedP, { dummyCost: COST })).toBe(false);
    expect(await verifyPassword(undefined as unknown as string, await storedP, { dummyCost: COST })).toBe(false);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it("takes comparable time for an unknown user and a wrong password", async () => {
    const real = await hashPassword(GOOD, COST);
    await prepareDummyHash(COST);
    const time = async (h: string | null) => {
      const t0 = performance.now();
      await verifyPassword("wrong-password-here", h, { dummyCost: COST });
      return performance.now() - t0;
    };
    const best = async (h: string | null) => Math.min(await time(h), await time(h), await time(h));
    const known = await best(real);
    const unknown = await best(null);
    // Generous bounds: this guards against the unknown path skipping bcrypt (a 100x gap).
    expect(unknown).toBeGreaterThan(known * 0.4);
    expect(unknown).toBeLessThan(known * 2.5);
  });

  it("refuses a dummy cost below 10", async () => {
    await expect(verifyPassword(GOOD, null, { dummyCost: 4 })).rejects.toThrow(RangeError);
    await expect(prepareDummyHash(9)).rejects.toThrow(RangeError);
  });
});
