/**
 * Spec: connect's server pipeline runs on native async generators declared once per module
 * (patches/@connectrpc+connect+2.1.1.patch, patches/@connectrpc+connect-node+2.1.1.patch). The
 * published build down-levels them with TypeScript's __asyncGenerator helper, which creates a
 * generator function per call; V8 kept each one, and the call's whole pipeline with it, through
 * scavenges, so every call's objects were promoted (docs/operations.md, "Memory"). These specs pin
 * that the patch is applied and that the rewritten transforms keep connect's behaviour.
 */
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  createAsyncIterable,
  encodeEnvelope,
  pipe,
  transformAppend,
  transformCatch,
  transformCatchFinally,
  transformCompressEnvelope,
  transformDecompressEnvelope,
  transformJoinEnvelopes,
  transformParseEnvelope,
  transformPrepend,
  transformReadAllBytes,
  transformSerializeEnvelope,
  transformSplitEnvelope,
} from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";

// pipe() is typed by arity for connect's own call sites; these specs compose freely.
const pipeAny = pipe as unknown as (source: AsyncIterable<unknown>, ...rest: unknown[]) => AsyncGenerator<unknown>;
const isNativeAsyncGenerator = (x: unknown) => Object.prototype.toString.call(x) === "[object AsyncGenerator]";

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const bytes = (...b: number[]) => new Uint8Array(b);
const text = {
  serialize: (s: string) => new TextEncoder().encode(s),
  parse: (b: Uint8Array) => new TextDecoder().decode(b),
};

describe("connect's server pipeline (patched to native async generators)", () => {
  it("builds every stage a call goes through from native async generators", () => {
    const src = () => createAsyncIterable<Uint8Array>([]);
    const stages = [
      createAsyncIterable([]),
      pipeAny(src()),
      transformSplitEnvelope(100)(src()),
      transformJoinEnvelopes()(createAsyncIterable([])),
      transformParseEnvelope(text)(createAsyncIterable([])),
      transformParseEnvelope(text, 2, text)(createAsyncIterable([])),
      transformSerializeEnvelope(text)(createAsyncIterable([])),
      transformSerializeEnvelope(text, 2, text)(createAsyncIterable([])),
      transformCompressEnvelope(null, 1024)(createAsyncIterable([])),
      transformDecompressEnvelope(null, 1024)(createAsyncIterable([])),
      transformPrepend<Uint8Array>(() => undefined)(src()),
      transformAppend<Uint8Array>(() => undefined)(src()),
      transformCatch<Uint8Array>(() => undefined)(src()),
      transformCatchFinally<Uint8Array>(() => undefined)(src()),
      transformReadAllBytes(100)(src()),
    ];
    expect(stages.filter((s) => !isNativeAsyncGenerator(s))).toEqual([]);
  });

  it("reads a Node request body through a native async generator, chunk by chunk", async () => {
    const request = Object.assign(new PassThrough(), {
      socket: {},
      headers: { host: "localhost" },
      url: "/memoric.v1.AuthService/GetCurrentUser",
      method: "POST",
      httpVersion: "1.1",
    });
    const u = universalRequestFromNodeRequest(request as never, new EventEmitter() as never, undefined, undefined);
    expect(isNativeAsyncGenerator(u.body)).toBe(true);
    request.end(Buffer.from([1, 2, 3]));
    expect((await all(u.body as AsyncIterable<Uint8Array>)).map((c) => [...c])).toEqual([[1, 2, 3]]);
  });

  it("splits and joins envelopes, and refuses an incomplete or oversized one", async () => {
    const wire = new Uint8Array([...encodeEnvelope(0, bytes(7, 8)), ...encodeEnvelope(2, bytes(9))]);
    const envs = await all(
      pipe(createAsyncIterable([wire.subarray(0, 4), wire.subarray(4)]), transformSplitEnvelope(100)),
    );
    expect(envs.map((e) => [e.flags, [...e.data]])).toEqual([
      [0, [7, 8]],
      [2, [9]],
    ]);
    expect([...(await all(pipe(createAsyncIterable(envs), transformJoinEnvelopes())))[0]!]).toEqual([
      0, 0, 0, 0, 2, 7, 8,
    ]);

    const incomplete = all(pipe(createAsyncIterable([wire.subarray(0, 6)]), transformSplitEnvelope(100)));
    await expect(incomplete).rejects.toMatchObject({ code: Code.InvalidArgument });
    const oversized = all(pipe(createAsyncIterable([wire]), transformSplitEnvelope(1)));
    await expect(oversized).rejects.toMatchObject({ code: Code.ResourceExhausted });
  });

  it("parses and serializes messages, with or without an end-of-stream envelope", async () => {
    const envs = [
      { flags: 0, data: text.serialize("a") },
      { flags: 2, data: text.serialize("end") },
    ];
    expect(await all(transformParseEnvelope(text, 2, text)(createAsyncIterable(envs)))).toEqual([
      { value: "a", end: false },
      { value: "end", end: true },
    ]);
    expect(await all(transformParseEnvelope(text, 2)(createAsyncIterable(envs)))).toEqual(["a"]);
    await expect(all(transformParseEnvelope(text, 2, null)(createAsyncIterable(envs)))).rejects.toThrow(
      "unexpected end flag",
    );
    const out = await all(
      transformSerializeEnvelope(
        text,
        2,
        text,
      )(
        createAsyncIterable([
          { value: "x", end: false },
          { value: "y", end: true },
        ]),
      ),
    );
    expect(out.map((e) => [e.flags, text.parse(e.data)])).toEqual([
      [0, "x"],
      [2, "y"],
    ]);
  });

  it("prepends, appends, and catches an upstream error once, with or without one", async () => {
    const fails = async function* () {
      yield 1;
      throw new ConnectError("upstream", Code.DataLoss);
    };
    expect(
      await all(
        pipe(
          createAsyncIterable([2]),
          transformPrepend(() => 1),
          transformAppend(() => 3),
        ),
      ),
    ).toEqual([1, 2, 3]);
    expect(
      await all(
        pipe(
          fails(),
          transformCatch((e) => ConnectError.from(e).code),
        ),
      ),
    ).toEqual([1, Code.DataLoss]);
    const seen: unknown[] = [];
    const ended = (e: unknown) => {
      seen.push(e === undefined ? "none" : ConnectError.from(e).rawMessage);
      return 9;
    };
    expect(await all(pipe(fails(), transformCatchFinally(ended)))).toEqual([1, 9]);
    expect(await all(pipe(createAsyncIterable([1]), transformCatchFinally(ended)))).toEqual([1, 9]);
    expect(seen).toEqual(["upstream", "none"]);
  });

  it("propagates a downstream error to the source, and closes the source when the consumer stops", async () => {
    const events: string[] = [];
    const source = async function* () {
      try {
        yield 1;
        yield 2;
      } catch (e) {
        events.push(`source got ${(e as Error).message}`);
        throw e;
      } finally {
        events.push("source closed");
      }
    };
    const thrown = pipeAny(source(), { propagateDownStreamError: true });
    expect((await thrown.next()).value).toBe(1);
    await expect(thrown.throw(new Error("write failed"))).rejects.toThrow("write failed");
    expect(events).toEqual(["source got write failed", "source closed"]);

    events.length = 0;
    const stopped = pipeAny(source(), { propagateDownStreamError: true });
    expect((await stopped.next()).value).toBe(1);
    expect(await stopped.return(undefined)).toEqual({ done: true, value: undefined });
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(["source closed"]);
  });
});
