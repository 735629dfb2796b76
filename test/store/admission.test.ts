/**
 * Spec: admission in front of the connection pool. At most `capacity` slots, at most `perKeyLimit`
 * per principal; a caller waits at most the bound (or its deadline): Unavailable when the pool is
 * full, ResourceExhausted when its own principal holds its share, both with a retry-after hint;
 * queued callers are served in order, a principal at its limit never blocks another; a saturation
 * episode is reported while waits time out. A call's transactions are bucketed by its principal's
 * account, a public RPC's by its client address, the credential look-up before authentication by nobody.
 */
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clientAddressKey, deadlineKey, principalKey, type Principal } from "../../src/domain/call.js";
import { txOptionsOf } from "../../src/interceptors/call-context.js";
import { Admission, admissionKey } from "../../src/store/admission.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const make = (capacity: number, perKeyLimit: number, acquireTimeoutMs = 2000) =>
  new Admission({ capacity, perKeyLimit, acquireTimeoutMs, now: () => Date.now() });

/** Settles p on the fake clock; resolves with its value or the ConnectError it failed with. */
function outcome<T>(p: Promise<T>): { value?: T; error?: ConnectError; settled: boolean } {
  const o: { value?: T; error?: ConnectError; settled: boolean } = { settled: false };
  p.then(
    (v) => Object.assign(o, { value: v, settled: true }),
    (e: unknown) => Object.assign(o, { error: ConnectError.from(e), settled: true }),
  );
  return o;
}

describe("slots", () => {
  it("admits up to capacity at once and hands a freed slot to the first waiter", async () => {
    const a = make(2, 2);
    const r1 = await a.acquire("p:a");
    await a.acquire("p:b");
    const third = outcome(a.acquire("p:c"));
    const fourth = outcome(a.acquire("p:d"));
    await vi.advanceTimersByTimeAsync(10);
    expect(third.settled).toBe(false);
    expect(a.stats()).toMatchObject({ inUse: 2, waiting: 2, oldestWaitMs: 10 });
    r1();
    r1(); // releasing twice frees one slot only
    await vi.advanceTimersByTimeAsync(0);
    expect(third.value).toBeTypeOf("function");
    expect(fourth.settled).toBe(false);
    expect(a.stats()).toMatchObject({ inUse: 2, waiting: 1 });
  });

  it("turns a wait past the bound into Unavailable with retry-after, and reports saturation", async () => {
    const a = make(1, 1, 1500);
    await a.acquire("p:a");
    const late = outcome(a.acquire("p:b"));
    await vi.advanceTimersByTimeAsync(1499);
    expect(late.settled).toBe(false);
    expect(a.stats().saturated).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.error?.code).toBe(Code.Unavailable);
    expect(late.error?.metadata.get("retry-after")).toBe("2");
    const s = a.stats();
    expect(s).toMatchObject({ saturated: true, waiting: 0, rejected: { pool_timeout: 1, principal_limit: 0 } });
    expect(s.saturatedSince?.getTime()).toBe(Date.now());
    await vi.advanceTimersByTimeAsync(5001); // the window: max(5 s, 2 × bound)
    expect(a.stats().saturated).toBe(false);
  });

  it("runs fn in a slot and frees it however fn ends", async () => {
    const a = make(1, 1);
    await expect(a.run("p:a", {}, async () => 7)).resolves.toBe(7);
    await expect(a.run("p:a", {}, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(a.stats().inUse).toBe(0);
  });
});

describe("per principal", () => {
  it("caps one principal without blocking another, and answers its excess ResourceExhausted", async () => {
    const a = make(4, 2);
    await a.acquire("p:noisy");
    await a.acquire("p:noisy");
    const excess = outcome(a.acquire("p:noisy"));
    const other = outcome(a.acquire("p:quiet"));
    const system = outcome(a.acquire(undefined)); // background work: no per-principal limit
    await vi.advanceTimersByTimeAsync(0);
    expect(other.value).toBeTypeOf("function");
    expect(system.value).toBeTypeOf("function");
    expect(excess.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(excess.error?.code).toBe(Code.ResourceExhausted);
    expect(excess.error?.metadata.get("retry-after")).toBe("2");
    expect(excess.error?.rawMessage).toMatch(/limit 2/);
    expect(a.stats()).toMatchObject({ saturated: false, rejected: { principal_limit: 1, pool_timeout: 0 } });
  });

  it("lets a later principal past an earlier one that is at its limit", async () => {
    const a = make(2, 1);
    const noisy = await a.acquire("p:noisy");
    const blocker = await a.acquire("p:x");
    const noisy2 = outcome(a.acquire("p:noisy")); // at its limit
    const quiet = outcome(a.acquire("p:quiet")); // pool full
    blocker();
    await vi.advanceTimersByTimeAsync(0);
    expect(quiet.value).toBeTypeOf("function");
    expect(noisy2.settled).toBe(false);
    noisy();
    await vi.advanceTimersByTimeAsync(0);
    expect(noisy2.value).toBeTypeOf("function");
  });

  it("a limit as wide as the pool is the pool's: its timeout is Unavailable (one-connection embedded)", async () => {
    const a = make(1, 1);
    await a.acquire("p:solo");
    const next = outcome(a.acquire("p:solo"));
    await vi.advanceTimersByTimeAsync(2000);
    expect(next.error?.code).toBe(Code.Unavailable);
  });

  it("clamps the limit to capacity and to at least 1", () => {
    expect(make(3, 10).perKeyLimit).toBe(3);
    expect(make(3, 0).perKeyLimit).toBe(1);
  });
});

describe("deadline and cancellation", () => {
  it("waits no longer than the call's deadline: DeadlineExceeded, no retry hint", async () => {
    const a = make(1, 1);
    await a.acquire("p:a");
    const w = outcome(a.acquire("p:b", { deadline: Date.now() + 300 }));
    await vi.advanceTimersByTimeAsync(300);
    expect(w.error?.code).toBe(Code.DeadlineExceeded);
    expect(w.error?.metadata.get("retry-after")).toBeNull();
    expect(a.stats()).toMatchObject({ waiting: 0, saturated: false, rejected: { deadline: 1 } });
    await expect(a.acquire("p:b", { deadline: Date.now() })).rejects.toMatchObject({ code: Code.DeadlineExceeded });
  });

  it("drops a cancelled caller from the queue", async () => {
    const a = make(1, 1);
    const r = await a.acquire("p:a");
    const ac = new AbortController();
    const w = outcome(a.acquire("p:b", { signal: () => ac.signal }));
    ac.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.error?.code).toBe(Code.Canceled);
    expect(a.stats().waiting).toBe(0);
    r();
    expect(a.stats().inUse).toBe(0); // the cancelled caller was not granted the freed slot
    const again = await a.acquire("p:a");
    // Already cancelled: it never queues. (With a slot free it would just take it: it reads no signal then.)
    await expect(a.acquire("p:b", { signal: () => ac.signal })).rejects.toMatchObject({ code: Code.Canceled });
    expect(a.stats().waiting).toBe(0);
    again();
  });
});

describe("admission key", () => {
  it("is the account for user and admin work, the call's bucket for system work, none outside calls", () => {
    expect(admissionKey({ kind: "user", userId: "u1" }, undefined)).toBe("p:u1");
    expect(admissionKey({ kind: "admin", userId: "a1" }, undefined)).toBe("p:a1");
    expect(admissionKey({ kind: "system" }, undefined)).toBeUndefined();
    const call = { admissionKey: "a:10.0.0.1" };
    expect(admissionKey({ kind: "system" }, call)).toBe("a:10.0.0.1");
    expect(admissionKey({ kind: "user", userId: "u1" }, call)).toBe("p:u1");
  });
});

describe("a call's transaction options", () => {
  const signal = new AbortController().signal;
  const call = (service: string, method: string) => ({
    service: { typeName: service },
    method: { name: method },
    signal,
  });
  const values = () => createContextValues().set(clientAddressKey, "10.0.0.1");
  const principal: Principal = {
    type: "user",
    userId: "u1",
    username: "alice",
    roles: [],
    permissions: new Set(),
    sessionId: "s1",
    credentialId: "j1",
  };

  it("bucket the principal's account, else a public RPC's client address, else nobody", () => {
    const login = call("memoric.v1.AuthService", "Login");
    const list = call("memoric.v1.MemoryService", "ListMemories");
    const options = txOptionsOf(login, values());
    expect(options).toEqual({ deadline: undefined, admissionKey: "a:10.0.0.1", signal: expect.any(Function) });
    expect(options.signal?.()).toBe(signal); // read only when a transaction has to wait
    // The credential look-up that precedes authentication: no bucket.
    expect(txOptionsOf(list, values()).admissionKey).toBeUndefined();
    expect(txOptionsOf(list, values().set(principalKey, principal)).admissionKey).toBe("p:u1");
  });

  it("carry the call's deadline", () => {
    const list = call("memoric.v1.MemoryService", "ListMemories");
    expect(txOptionsOf(list, values().set(deadlineKey, 1234)).deadline).toBe(1234);
  });
});
