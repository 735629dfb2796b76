/**
 * Spec: a call's abort signal is made when first read (patches/@connectrpc+connect+2.1.1.patch,
 * patches/@connectrpc+connect-node+2.1.1.patch). connect made three linked AbortSignals per call (the
 * request's, the deadline's, the call's) and aborted them when it ended, ~30 µs a call, though a unary
 * handler rarely reads one. Read late, the signal still tells the truth: aborted once the client has
 * cancelled, the deadline has passed or the call has ended.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What each handler saw, by the service name its request carried. */
const seen = new Map<string, { ctx: HandlerContext; abortedWhenRead?: boolean; reason?: unknown }>();

function routes(router: ConnectRouter) {
  router.service(Health, {
    async check(req, ctx) {
      const entry: { ctx: HandlerContext; abortedWhenRead?: boolean; reason?: unknown } = { ctx };
      seen.set(req.service, entry);
      if (req.service.startsWith("read-early")) {
        const signal = ctx.signal;
        await new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => resolve(), { once: true });
          setTimeout(resolve, 2_000);
        });
        entry.abortedWhenRead = signal.aborted;
        entry.reason = signal.reason;
      } else if (req.service.startsWith("read-late")) {
        await sleep(150);
        entry.abortedWhenRead = ctx.signal.aborted;
        entry.reason = ctx.signal.reason;
      }
      return { status: HealthCheckResponse_ServingStatus.SERVING };
    },
  });
}

let server: http2.Http2Server;
let session: http2.ClientHttp2Session;

beforeAll(async () => {
  server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  session.close();
  await new Promise((resolve) => server.close(resolve));
});

/** A raw gRPC unary call (no client library, so no AbortController on the client side). */
function check(service: string, headers: Record<string, string> = {}) {
  const body = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service }));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  const stream = session.request({
    ":method": "POST",
    ":path": "/grpc.health.v1.Health/Check",
    "content-type": "application/grpc",
    te: "trailers",
    ...headers,
  });
  stream.end(frame);
  const done = new Promise<{ status?: string }>((resolve) => {
    let status: string | undefined;
    stream.on("trailers", (t) => {
      status = String(t["grpc-status"]);
    });
    stream.on("data", () => {});
    stream.on("close", () => resolve({ status }));
  });
  return { stream, done };
}

/** Counts AbortSignals made or aborted through AbortController while fn runs. */
async function countingSignals(fn: () => Promise<unknown>): Promise<number> {
  const proto = AbortController.prototype;
  const getter = Object.getOwnPropertyDescriptor(proto, "signal")!;
  const abort = Object.getOwnPropertyDescriptor(proto, "abort")!;
  let count = 0;
  Object.defineProperty(proto, "signal", {
    ...getter,
    get(this: AbortController) {
      count++;
      return getter.get!.call(this);
    },
  });
  Object.defineProperty(proto, "abort", {
    ...abort,
    value(this: AbortController, reason?: unknown) {
      count++;
      return (abort.value as (r?: unknown) => void).call(this, reason);
    },
  });
  try {
    await fn();
  } finally {
    Object.defineProperty(proto, "signal", getter);
    Object.defineProperty(proto, "abort", abort);
  }
  return count;
}

describe("a call's abort signal, made on first read", () => {
  it("is never made for a unary call whose handler does not read it", async () => {
    await check("warm-up").done;
    const made = await countingSignals(async () => {
      const results = await Promise.all([check("plain-1").done, check("plain-2").done, check("plain-3").done]);
      expect(results.map((r) => r.status)).toEqual(["0", "0", "0"]);
    });
    expect(made).toBe(0);
  });

  it("is made when read, and aborted once the call has ended", async () => {
    const made = await countingSignals(async () => expect((await check("plain-read").done).status).toBe("0"));
    expect(made).toBe(0);
    const { ctx } = seen.get("plain-read")!;
    expect(ctx.signal.aborted).toBe(true); // read after the call: ended
  });

  it("read before the client cancels, fires on the cancel", async () => {
    const call = check("read-early-cancel");
    await sleep(50);
    call.stream.close(http2.constants.NGHTTP2_CANCEL);
    await call.done;
    await sleep(50);
    const entry = seen.get("read-early-cancel")!;
    expect(entry.abortedWhenRead).toBe(true);
    expect(entry.reason).toBeInstanceOf(ConnectError);
    expect((entry.reason as ConnectError).code).toBe(Code.Canceled);
  });

  it("read after the client cancelled, is already aborted", async () => {
    const call = check("read-late-cancel");
    await sleep(30);
    call.stream.close(http2.constants.NGHTTP2_CANCEL);
    await call.done;
    await sleep(200);
    const entry = seen.get("read-late-cancel")!;
    expect(entry.abortedWhenRead).toBe(true);
    expect((entry.reason as ConnectError).code).toBe(Code.Canceled);
  });

  it("read after the deadline passed, is aborted with DeadlineExceeded; before it, fires at the deadline", async () => {
    const late = check("read-late-deadline", { "grpc-timeout": "50m" });
    const early = check("read-early-deadline", { "grpc-timeout": "50m" });
    await Promise.all([late.done, early.done]);
    await sleep(50);
    for (const name of ["read-late-deadline", "read-early-deadline"]) {
      const entry = seen.get(name)!;
      expect(entry.abortedWhenRead).toBe(true);
      expect((entry.reason as ConnectError).code).toBe(Code.DeadlineExceeded);
    }
  });

  it("read in a call that neither ended nor was cancelled, is live", async () => {
    let live: boolean | undefined;
    const probe = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const entry = seen.get("read-early-live");
        if (!entry) return;
        clearInterval(poll);
        live = !entry.ctx.signal.aborted;
        resolve();
      }, 5);
    });
    const call = check("read-early-live");
    await probe;
    call.stream.close(http2.constants.NGHTTP2_CANCEL);
    await call.done;
    expect(live).toBe(true);
  });
});
