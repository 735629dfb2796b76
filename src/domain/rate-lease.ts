/**
 * Rate limiting with leases: the shared counter (in Postgres, so limits hold across replicas) is
 * advanced a block of hits at a time, and the block is spent locally. That turns one database
 * round trip per RPC into one per block, without ever admitting more than the limit per window:
 * hits leased but unused by a replica only make the limit stricter. Denials are remembered until
 * the window resets, so a throttled client cannot make us hammer the database either.
 */

export interface WindowClaim {
  /** The window's total after adding this claim. */
  hits: number;
  resetInSeconds: number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Lease {
  left: number;
  resetAt: number;
}

/** Blocks are ~5% of the limit: overshoot-free, and at most ~20 claims per key and window. */
export function blockSize(limit: number): number {
  return Math.max(1, Math.floor(limit / 20));
}

export class LeasedLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly claiming = new Map<string, Promise<void>>();

  constructor(
    private readonly claim: (key: string, n: number) => Promise<WindowClaim>,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {}

  async take(key: string, limit: number): Promise<TakeResult> {
    for (;;) {
      const lease = this.leases.get(key);
      const now = this.now();
      if (lease && lease.resetAt > now) {
        if (lease.left > 0) {
          lease.left--;
          return { allowed: true };
        }
        if (lease.left < 0)
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((lease.resetAt - now) / 1000)) };
      }
      // Concurrent callers for one key share a single claim, then retry against its lease.
      let pending = this.claiming.get(key);
      if (!pending) {
        pending = this.refill(key, limit).finally(() => this.claiming.delete(key));
        this.claiming.set(key, pending);
      }
      await pending;
    }
  }

  private async refill(key: string, limit: number): Promise<void> {
    const block = blockSize(limit);
    const r = await this.claim(key, block);
    const before = r.hits - block;
    const granted = Math.max(0, Math.min(block, limit - before));
    if (this.leases.size >= this.maxKeys) this.sweep();
    // left = -1 marks "over the limit until resetAt".
    this.leases.set(key, { left: granted > 0 ? granted : -1, resetAt: this.now() + r.resetInSeconds * 1000 });
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, lease] of this.leases) if (lease.resetAt <= now) this.leases.delete(key);
    if (this.leases.size >= this.maxKeys) this.leases.clear();
  }
}
