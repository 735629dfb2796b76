/**
 * Spec: the failed-login throttle (store/identity/throttle.ts). Attempts are claimed before the
 * password is checked, at most maxFailures per window however many run at once; failures settled
 * at the limit lock the key, for twice as long on each repeat (capped); a success refunds its
 * claim. Each step is one statement, outside the transaction slots, so a storm of logins for one
 * account never holds the slots other callers' transactions need.
 */
import { describe, expect, it } from "vitest";
import { Admission, attachLimits } from "../../src/store/admission.js";
import {
  refundLoginAttempt,
  reserveLoginAttempt,
  settleLoginFailure,
  type LoginLimits,
} from "../../src/store/identity/throttle.js";
import { inTx, SYSTEM } from "../../src/store/tx.js";
import { testMode } from "../support/database.js";
import { useMigratedDatabase } from "../support/migrated-database.js";

const limits: LoginLimits = { maxFailures: 3, windowSeconds: 60, lockoutSeconds: 10, maxLockoutSeconds: 25 };

const migrated = useMigratedDatabase(4);

let n = 0;
const newKey = () => `login:acct:spec-${++n}`;
const claims = (key: string, count: number) =>
  Promise.all(Array.from({ length: count }, () => reserveLoginAttempt(migrated.db.sql, key, limits)));
const row = async (key: string) =>
  (
    await migrated.db.sql<{ failures: number; lockouts: number; locked: boolean }[]>`
      select failures, lockouts, coalesce(locked_until > now(), false) as locked from login_throttle where key = ${key}`
  )[0];

describe("login throttle", () => {
  it("lets maxFailures of many concurrent claims through, and refuses the rest with a 1 s retry hint", async () => {
    const key = newKey();
    const results = await claims(key, 20);
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
    expect(results.filter((r) => !r.allowed)).toEqual(Array(17).fill({ allowed: false, retryAfterSeconds: 1 }));
    expect(await row(key)).toEqual({ failures: 3, lockouts: 0, locked: false });
  });

  it("locks a key whose failures are settled at the limit, twice as long on each repeat, capped", async () => {
    const key = newKey();
    await claims(key, 3);
    expect(await settleLoginFailure(migrated.db.sql, key, limits)).toEqual({ lockedForSeconds: 10 });
    // Already locked:
    expect(await settleLoginFailure(migrated.db.sql, key, limits)).toEqual({ lockedForSeconds: null });
    expect(await row(key)).toEqual({ failures: 0, lockouts: 1, locked: true });
    const refused = await reserveLoginAttempt(migrated.db.sql, key, limits);
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThan(5);

    for (const expected of [20, 25]) {
      await migrated.db.sql`update login_throttle set locked_until = now() - interval '1 second' where key = ${key}`;
      await claims(key, 3);
      expect(await settleLoginFailure(migrated.db.sql, key, limits)).toEqual({ lockedForSeconds: expected });
    }
  });

  it("does not lock below the limit", async () => {
    const key = newKey();
    await claims(key, 2);
    expect(await settleLoginFailure(migrated.db.sql, key, limits)).toEqual({ lockedForSeconds: null });
    expect(await row(key)).toEqual({ failures: 2, lockouts: 0, locked: false });
  });

  it("starts a new budget once the window has passed", async () => {
    const key = newKey();
    await claims(key, 3);
    expect((await reserveLoginAttempt(migrated.db.sql, key, limits)).allowed).toBe(false);
    await migrated.db.sql`update login_throttle set window_start = now() - interval '61 seconds' where key = ${key}`;
    expect((await claims(key, 5)).filter((r) => r.allowed)).toHaveLength(3);
  });

  it("gives a success's claim back: all failures for an account, this one for an address", async () => {
    const [account, address] = [newKey(), newKey()];
    await claims(account, 2);
    await claims(address, 2);
    await refundLoginAttempt(migrated.db.sql, account, true);
    await refundLoginAttempt(migrated.db.sql, address, false);
    expect((await row(account))?.failures).toBe(0);
    expect((await row(address))?.failures).toBe(1);
  });

  // Needs transactions held open on other connections: PostgreSQL only (PGlite has one session).
  it.skipIf(testMode === "embedded")("claims and settles while every transaction slot is taken", async () => {
    const admission = new Admission({ capacity: 2, perKeyLimit: 2, acquireTimeoutMs: 3000 });
    attachLimits(migrated.db.sql, { admission, statementTimeoutMs: 0 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered = 0;
    const holders = Array.from({ length: 2 }, () =>
      inTx(migrated.db.sql, SYSTEM, async () => {
        entered++;
        await released;
      }),
    );
    try {
      while (entered < 2) await new Promise((r) => setTimeout(r, 5));
      const key = newKey();
      // Before: each claim was a transaction of its own and waited here for a slot (then Unavailable).
      expect((await claims(key, 5)).filter((r) => r.allowed)).toHaveLength(3);
      expect(await settleLoginFailure(migrated.db.sql, key, limits)).toEqual({ lockedForSeconds: 10 });
      expect(admission.stats().inUse).toBe(2);
    } finally {
      release();
      await Promise.all(holders);
    }
  });
});
