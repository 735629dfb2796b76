/**
 * Spec (in memory, no server): the @memoric/client pipeline — refresh before expiry (one refresh for
 * concurrent calls), one recovery on Unauthenticated, retries honouring the server's hint and giving
 * up on hints beyond maxHintMs, no retry of a spent-once RPC (Refresh), and idempotency keys set once.
 */
import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createMemoricClientWith, type MemoricClientOptions } from "../../clients/typescript/src/core.js";
import { RetryInfoSchema } from "../../clients/typescript/src/gen/google/rpc/error_details_pb.js";
import { AuthService } from "../../clients/typescript/src/gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../clients/typescript/src/gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../clients/typescript/src/gen/memoric/v1/memory_pb.js";

function memoryClient(routes: (r: ConnectRouter) => void, opts: Partial<MemoricClientOptions> = {}) {
  return createMemoricClientWith(({ interceptors }) => createRouterTransport(routes, { transport: { interceptors } }), {
    baseUrl: "http://in-memory",
    retry: { initialBackoffMs: 1 },
    ...opts,
  });
}

const retryHint = (ms: number) =>
  new ConnectError("slow down", Code.ResourceExhausted, undefined, [
    {
      desc: RetryInfoSchema,
      value: {
        retryDelay: create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 }),
      },
    },
  ]);

describe("auth", () => {
  it("refreshes an access token about to expire once, for concurrent calls", async () => {
    let refreshes = 0;
    const seen: string[] = [];
    const client = memoryClient(
      (r) => {
        r.service(AuthService, {
          refresh: async () => {
            refreshes++;
            await new Promise((res) => setTimeout(res, 20));
            return { accessToken: "fresh", refreshToken: "r2", expiresIn: 900 };
          },
          getCurrentUser: (_req, ctx) => {
            seen.push(ctx.requestHeader.get("authorization") ?? "");
            return {};
          },
        });
      },
      // 3 s left of its lifetime: inside the refresh margin (at least 5 s).
      { auth: { token: "old", refreshToken: "r1", expiresIn: 3 } },
    );
    await Promise.all([client.auth.getCurrentUser({}), client.auth.getCurrentUser({}), client.auth.getCurrentUser({})]);
    expect(refreshes).toBe(1);
    expect(seen).toEqual(["Bearer fresh", "Bearer fresh", "Bearer fresh"]);
    expect(client.session.refreshCount).toBe(1);
  });

  it("asks a token function again once after Unauthenticated, then gives up", async () => {
    let issued = 0;
    const client = memoryClient(
      (r) => {
        r.service(MemoryService, {
          listMemories: (_req, ctx) => {
            if (ctx.requestHeader.get("authorization") !== "Bearer eu-2")
              throw new ConnectError("no", Code.Unauthenticated);
            return {};
          },
        });
      },
      { auth: { endUserToken: async () => `eu-${++issued}` } },
    );
    await client.memories.listMemories({});
    expect(issued).toBe(2);
    const stuck = memoryClient(
      (r) => {
        r.service(MemoryService, {
          listMemories: () => {
            throw new ConnectError("no", Code.Unauthenticated);
          },
        });
      },
      { auth: { apiKey: "mk_x" } },
    );
    await expect(stuck.memories.listMemories({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});

describe("retries", () => {
  it("waits for the server's hint, and gives up on a hint beyond maxHintMs", async () => {
    const at: number[] = [];
    const client = memoryClient((r) => {
      r.service(MemoryService, {
        listMemories: () => {
          at.push(performance.now());
          if (at.length === 1) throw retryHint(150);
          return {};
        },
      });
    });
    await client.memories.listMemories({});
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(140);

    let calls = 0;
    const patient = memoryClient(
      (r) => {
        r.service(MemoryService, {
          listMemories: () => {
            calls++;
            throw retryHint(5_000);
          },
        });
      },
      { retry: { maxHintMs: 1_000 } },
    );
    const err = await patient.memories.listMemories({}).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toMatchObject({ code: Code.ResourceExhausted, retryDelayMs: 5_000 });
  });

  it("retries Unavailable up to maxAttempts, never Refresh, with one idempotency key per create", async () => {
    const keys: string[] = [];
    let refreshCalls = 0;
    const client = memoryClient(
      (r) => {
        r.service(MemoryService, {
          createMemory: (req) => {
            keys.push(req.idempotencyKey);
            throw new ConnectError("down", Code.Unavailable);
          },
        });
        r.service(AuthService, {
          refresh: () => {
            refreshCalls++;
            throw new ConnectError("down", Code.Unavailable);
          },
        });
      },
      { retry: { maxAttempts: 3, initialBackoffMs: 1 } },
    );
    await expect(client.memories.createMemory({ content: "x" })).rejects.toMatchObject({ code: Code.Unavailable });
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    await expect(client.auth.refresh({ refreshToken: "r" })).rejects.toMatchObject({ code: Code.Unavailable });
    expect(refreshCalls).toBe(1);
  });
});

describe("iterators", () => {
  it("walk every page of memories (scoped to an end user) and of end users", async () => {
    const asked: { endUserId: string; pageToken: string }[] = [];
    const client = memoryClient(
      (r) => {
        r.service(MemoryService, {
          listMemories: (req) => {
            asked.push({ endUserId: req.endUserId, pageToken: req.pageToken });
            const page = Number(req.pageToken || "0");
            return { memories: [{ id: `m${page}` }], nextPageToken: page < 2 ? String(page + 1) : "" };
          },
        });
        r.service(EndUserService, {
          listEndUsers: (req) => ({
            endUsers: [{ endUserId: `u${req.pageToken || "0"}` }],
            nextPageToken: req.pageToken === "" ? "1" : "",
          }),
        });
      },
      { auth: { apiKey: "mk_x" } },
    );
    const ids: string[] = [];
    for await (const m of client.endUser("user-1").memories.listAll({ pageSize: 1 })) ids.push(m.id);
    expect(ids).toEqual(["m0", "m1", "m2"]);
    expect(asked.map((a) => a.endUserId)).toEqual(["user-1", "user-1", "user-1"]);
    const users: string[] = [];
    for await (const u of client.endUsers.listAll()) users.push(u.endUserId);
    expect(users).toEqual(["u0", "u1"]);
  });
});
