/**
 * Admission in front of the connection pool. postgres.js queues work for a connection without any
 * bound, so a tenant whose calls wait on a locked row can hold every connection and stall everyone.
 * Every transaction first takes a slot here:
 * - at most `capacity` transactions run at once (the pool size, less one connection left to the
 *   single autocommit statements below);
 * - at most `perKeyLimit` of them belong to one principal: its excess waits and, if its own work
 *   does not finish in time, gets ResourceExhausted — never another principal's slot;
 * - nobody waits longer than `acquireTimeoutMs` (or the call's deadline): Unavailable, retry later.
 *
 * What passes through admission: every transaction (inTx, inSnapshot, the login-throttle and
 * audit-retention transactions), from RPCs and background jobs alike, so the slot count matches the
 * connections held. What does not: single autocommit statements (health ping, rate-limit counters,
 * standalone audit rows, login refunds). They hold a connection for one short statement, postgres.js
 * pipelines them onto a connection no transaction holds — the one kept out of `capacity` — and the
 * health ping must never queue behind tenants' transactions (readiness would flip under load).
 *
 * Pure apart from the clock: unit-tested in test/store/admission.test.ts.
 */
import { Code, ConnectError } from "@connectrpc/connect";

export type RejectReason = "pool_timeout" | "principal_limit" | "deadline" | "cancelled";

export interface AdmissionOptions {
  /** Transactions admitted at once. */
  capacity: number;
  /** Transactions of one key (principal) admitted at once; clamped to capacity. */
  perKeyLimit: number;
  /** Longest wait for a slot. */
  acquireTimeoutMs: number;
  /** How long the pool is reported saturated after its last wait timeout (default max(5 s, 2 × wait bound)). */
  saturationWindowMs?: number;
  now?: () => number;
}

export interface AcquireOptions {
  /** Absolute deadline (ms since epoch, same clock as `now`): the wait never outlives it. */
  deadline?: number;
  /**
   * The caller's abort signal, read only if it has to wait: a call's signal is made when first read, and
   * most calls find a free slot. A call cancelled before its transaction starts still runs it when a slot
   * is free (as one cancelled a moment later would); a waiting one leaves the queue.
   */
  signal?: (() => AbortSignal) | undefined;
}

export interface AdmissionStats {
  capacity: number;
  perKeyLimit: number;
  acquireTimeoutMs: number;
  inUse: number;
  waiting: number;
  oldestWaitMs: number;
  rejected: Record<RejectReason, number>;
  /** Some caller waited the full bound for a slot within the saturation window. */
  saturated: boolean;
  /** Start of the current saturation episode. */
  saturatedSince: Date | undefined;
}

export type Release = () => void;

interface Waiter {
  key: string | undefined;
  since: number;
  grant: () => void;
}

export class Admission {
  readonly capacity: number;
  readonly perKeyLimit: number;
  readonly acquireTimeoutMs: number;
  private readonly window: number;
  private readonly now: () => number;
  private inUse = 0;
  private readonly perKey = new Map<string, number>();
  private readonly queue: Waiter[] = [];
  private readonly rejected: Record<RejectReason, number> = {
    pool_timeout: 0,
    principal_limit: 0,
    deadline: 0,
    cancelled: 0,
  };
  private lastTimeoutAt: number | undefined;
  private episodeStart: number | undefined;
  /** Observers for metrics: called with the seconds a granted caller waited, and on every rejection. */
  onAdmit: ((waitedSeconds: number) => void) | undefined;
  onReject: ((reason: RejectReason) => void) | undefined;

  constructor(opts: AdmissionOptions) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new RangeError("capacity must be a positive integer");
    }
    this.capacity = opts.capacity;
    this.perKeyLimit = Math.max(1, Math.min(opts.perKeyLimit, opts.capacity));
    this.acquireTimeoutMs = opts.acquireTimeoutMs;
    this.window = opts.saturationWindowMs ?? Math.max(5000, 2 * opts.acquireTimeoutMs);
    this.now = opts.now ?? Date.now;
  }

  /** Seconds a rejected caller is told to wait before retrying (the retry-after hint). */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.acquireTimeoutMs / 1000));
  }

  /** Waits for a slot for `key` (undefined: no per-principal limit, e.g. background jobs). */
  acquire(key: string | undefined, opts: AcquireOptions = {}): Promise<Release> {
    const start = this.now();
    if (opts.deadline !== undefined && opts.deadline <= start) return Promise.reject(this.reject("deadline"));
    // Waiters still queued are all blocked (pool full, or their own key at its limit): no one is overtaken.
    if (this.inUse < this.capacity && !this.atLimit(key)) return Promise.resolve(this.take(key, start));
    const signal = opts.signal?.();
    if (signal?.aborted) return Promise.reject(this.reject("cancelled"));

    return new Promise<Release>((resolve, reject) => {
      const bound = Math.min(this.acquireTimeoutMs, opts.deadline === undefined ? Infinity : opts.deadline - start);
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
      };
      const waiter: Waiter = {
        key,
        since: start,
        grant: () => {
          leave();
          resolve(this.take(key, start));
        },
      };
      const timer = setTimeout(() => {
        leave();
        const reason: RejectReason =
          bound < this.acquireTimeoutMs ? "deadline" : this.binding(key) ? "principal_limit" : "pool_timeout";
        reject(this.reject(reason));
      }, bound);
      const onAbort = () => {
        leave();
        reject(this.reject("cancelled"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Runs fn holding a slot; the slot is released however fn ends. */
  async run<T>(key: string | undefined, opts: AcquireOptions, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key, opts);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Slots key holds now. */
  held(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  stats(): AdmissionStats {
    const now = this.now();
    const saturated = this.lastTimeoutAt !== undefined && now - this.lastTimeoutAt <= this.window;
    return {
      capacity: this.capacity,
      perKeyLimit: this.perKeyLimit,
      acquireTimeoutMs: this.acquireTimeoutMs,
      inUse: this.inUse,
      waiting: this.queue.length,
      oldestWaitMs: this.queue.length > 0 ? now - Math.min(...this.queue.map((w) => w.since)) : 0,
      rejected: { ...this.rejected },
      saturated,
      saturatedSince: saturated && this.episodeStart !== undefined ? new Date(this.episodeStart) : undefined,
    };
  }

  private atLimit(key: string | undefined): boolean {
    return key !== undefined && (this.perKey.get(key) ?? 0) >= this.perKeyLimit;
  }

  /** The per-key limit is what holds this caller back (and it is stricter than the pool itself). */
  private binding(key: string | undefined): boolean {
    return this.perKeyLimit < this.capacity && this.atLimit(key);
  }

  private take(key: string | undefined, start: number): Release {
    this.inUse++;
    if (key !== undefined) this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
    this.onAdmit?.((this.now() - start) / 1000);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      if (key !== undefined) {
        const n = (this.perKey.get(key) ?? 1) - 1;
        if (n === 0) this.perKey.delete(key);
        else this.perKey.set(key, n);
      }
      this.drain();
    };
  }

  /** Grants queued callers in arrival order, skipping those whose own key is at its limit. */
  private drain(): void {
    for (let i = 0; i < this.queue.length && this.inUse < this.capacity; ) {
      const w = this.queue[i]!;
      if (this.atLimit(w.key)) {
        i++;
        continue;
      }
      w.grant(); // removes w from the queue
    }
  }

  private reject(reason: RejectReason): ConnectError {
    this.rejected[reason]++;
    this.onReject?.(reason);
    const retry = this.retryAfterSeconds;
    let err: ConnectError;
    switch (reason) {
      case "pool_timeout": {
        const now = this.now();
        if (this.lastTimeoutAt === undefined || now - this.lastTimeoutAt > this.window) this.episodeStart = now;
        this.lastTimeoutAt = now;
        err = new ConnectError(
          `database busy: no connection free within ${this.acquireTimeoutMs} ms; retry after ${retry} s`,
          Code.Unavailable,
        );
        break;
      }
      case "principal_limit":
        err = new ConnectError(
          `too many concurrent database calls for this account (limit ${this.perKeyLimit}); retry after ${retry} s`,
          Code.ResourceExhausted,
        );
        break;
      case "deadline":
        return new ConnectError("deadline exceeded while waiting for a database connection", Code.DeadlineExceeded);
      case "cancelled":
        return new ConnectError("call cancelled while waiting for a database connection", Code.Canceled);
    }
    // Read by clients directly and turned into google.rpc.RetryInfo (same convention as the rate limiter).
    err.metadata.set("retry-after", String(retry));
    return err;
  }
}

/** Pool limits of one Sql instance; absent for a Database opened without them (tests, tools). */
export interface DbLimits {
  admission: Admission;
  /** Default statement_timeout of a transaction (0: the server's own setting). */
  statementTimeoutMs: number;
}

const limitsBySql = new WeakMap<object, DbLimits>();

export function attachLimits(sql: object, limits: DbLimits): void {
  limitsBySql.set(sql, limits);
}

export function limitsOf(sql: object): DbLimits | undefined {
  return limitsBySql.get(sql);
}

/**
 * What a transaction knows of the call it runs for: computed from the call's context values by
 * interceptors/call-context.ts (txOptionsOf) and passed explicitly; omitted for work outside any
 * call (background jobs, the CLI), which has no deadline and no per-principal bucket.
 */
export interface TxOptions {
  /** The call's absolute deadline (ms since epoch), undefined for none. */
  deadline?: number | undefined;
  /**
   * The bucket of the call's system work (its principal, or the client address of a public RPC);
   * undefined: no per-principal limit.
   */
  admissionKey?: string | undefined;
  /** The call's abort signal (AcquireOptions.signal): a cancelled call stops waiting for a slot. */
  signal?: (() => AbortSignal) | undefined;
}

/**
 * The admission key of a transaction: a user's or admin's own transactions count against that
 * account; system work against the call's bucket (opts.admissionKey); work outside any RPC
 * (background jobs, run one transaction at a time) has no per-principal limit.
 */
export function admissionKey(
  ctx: { kind: string; userId?: string } | undefined,
  opts: TxOptions | undefined,
): string | undefined {
  if (ctx && ctx.kind !== "system" && ctx.userId) return `p:${ctx.userId}`;
  return opts?.admissionKey;
}

/** Runs fn in an admission slot of sql's pool (directly when sql has no limits attached). */
export async function admitted<T>(
  sql: object,
  ctx: { kind: string; userId?: string } | undefined,
  opts: TxOptions | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const limits = limitsOf(sql);
  if (!limits) return fn();
  return limits.admission.run(admissionKey(ctx, opts), { deadline: opts?.deadline, signal: opts?.signal }, fn);
}
