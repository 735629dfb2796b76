/** Spec: leased rate limiting never admits more than the limit per window, across replicas. */
import { describe, expect, it } from "vitest";
import { blockSize, LeasedLimiter, type WindowClaim } from "../../src/domain/rate-lease.js";

/** A shared window counter, as the rate_limits table is for every replica. */
function sharedCounter(windowMs: number, clock: () => number) {
  let hits = 0;
  let start = clock();
  let claims = 0;
  return {
    claim: async (_key: string, n: number): Promise<WindowClaim> => {
      claims++;
      if (clock() - start >= windowMs) {
        hits = 0;
        start = clock();
      }
      hits += n;
      return { hits, resetInSeconds: Math.ceil((start + windowMs - clock()) / 1000) };
    },
    get claims() {
      return claims;
    },
  };
}

async function admitted(limiter: LeasedLimiter, limit: number, calls: number): Promise<number> {
  const results = await Promise.all(Array.from({ length: calls }, () => limiter.take("k", limit)));
  return results.filter((r) => r.allowed).length;
}

describe("LeasedLimiter", () => {
  it("admits exactly the limit from one replica, with one claim per block", async () => {
    const now = 0;
    const counter = sharedCounter(60_000, () => now);
    const limiter = new LeasedLimiter(counter.claim, () => now);
    expect(await admitted(limiter, 600, 1000)).toBe(600);
    expect(counter.claims).toBeLessThanOrEqual(600 / blockSize(600) + 2);
  });

  it("never admits more than the limit across three replicas sharing the counter", async () => {
    const now = 0;
    const counter = sharedCounter(60_000, () => now);
    const replicas = [0, 1, 2].map(() => new LeasedLimiter(counter.claim, () => now));
    let total = 0;
    for (let round = 0; round < 50; round++) for (const r of replicas) total += await admitted(r, 100, 3);
    expect(total).toBeLessThanOrEqual(100);
    expect(total).toBeGreaterThan(100 - 3 * blockSize(100)); // at most one unused block per replica
  });

  it("denies with a retry-after until the window resets, then admits again", async () => {
    let now = 0;
    const counter = sharedCounter(10_000, () => now);
    const limiter = new LeasedLimiter(counter.claim, () => now);
    expect(await admitted(limiter, 5, 5)).toBe(5);
    const denied = await limiter.take("k", 5);
    expect(denied).toEqual({ allowed: false, retryAfterSeconds: 10 });
    const claimsWhileDenied = counter.claims;
    await limiter.take("k", 5);
    expect(counter.claims).toBe(claimsWhileDenied); // denials are answered locally
    now += 10_000;
    expect((await limiter.take("k", 5)).allowed).toBe(true);
  });

  it("limits of 1..19 are counted exactly (block of one)", async () => {
    const now = 0;
    const counter = sharedCounter(60_000, () => now);
    const limiter = new LeasedLimiter(counter.claim, () => now);
    expect(await admitted(limiter, 7, 20)).toBe(7);
  });
});
