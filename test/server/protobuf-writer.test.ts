/**
 * Spec: protobuf-es's BinaryWriter writes fixed-width values, short ASCII strings and forks held in
 * its byte array without a Uint8Array chunk each (patches/@bufbuild+protobuf+2.13.0.patch): every
 * chunk cost an allocation, a flush and a copy, half of what toBinary() spent on a search response.
 * These specs pin that the patch is applied and that what it writes is the protobuf wire format: known
 * encodings byte for byte, and random nested programs read back by the (unpatched) BinaryReader.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { SearchMemoriesResponseSchema } from "../../gen/memoric/v1/memory_pb.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

type Kind = "uint32" | "int32" | "sint32" | "bool" | "string" | "bytes" | "double" | "float";
type Kind64 = "fixed64" | "sfixed64" | "int64" | "sint64" | "uint64";
type Item =
  | { kind: Kind; value: number | boolean | string | Uint8Array }
  | { kind: Kind64; value: bigint }
  | { kind: "fixed32" | "sfixed32"; value: number }
  | { nested: Item[] };

const STRINGS = [
  "",
  "a",
  "x".repeat(63),
  "y".repeat(64),
  "z".repeat(65),
  "héllo",
  "日本語",
  "😀 emoji",
  "\u007f\u0080",
];
const DOUBLES = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, -1e308, 5e-324, 0.1, -123456.789];

function randomItems(rand: () => number, depth: number): Item[] {
  const items: Item[] = [];
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const int = (span: number) => Math.floor(rand() * span);
  for (let n = int(12); n > 0; n--) {
    const r = rand();
    if (r < 0.15 && depth < 4) items.push({ nested: randomItems(rand, depth + 1) });
    else if (r < 0.25) items.push({ kind: "string", value: pick(STRINGS) });
    else if (r < 0.35) items.push({ kind: "double", value: pick(DOUBLES) });
    else if (r < 0.4) items.push({ kind: "float", value: Math.fround(rand() * 1e6 - 5e5) });
    else if (r < 0.45) items.push({ kind: "fixed32", value: int(2 ** 32) });
    else if (r < 0.5) items.push({ kind: "sfixed32", value: int(2 ** 32) - 2 ** 31 });
    else if (r < 0.55) items.push({ kind: "fixed64", value: BigInt(int(2 ** 53)) * 2047n });
    else if (r < 0.6) items.push({ kind: "sfixed64", value: BigInt(int(2 ** 53)) - 2n ** 62n });
    else if (r < 0.65) items.push({ kind: "int64", value: -(2n ** 63n) + BigInt(int(2 ** 53)) });
    else if (r < 0.7) items.push({ kind: "sint64", value: BigInt(int(2 ** 53)) - 2n ** 52n });
    else if (r < 0.75) items.push({ kind: "uint64", value: 2n ** 64n - 1n - BigInt(int(1000)) });
    else if (r < 0.8) items.push({ kind: "sint32", value: int(2 ** 32) - 2 ** 31 });
    else if (r < 0.85) items.push({ kind: "int32", value: int(2 ** 32) - 2 ** 31 });
    else if (r < 0.9) items.push({ kind: "bool", value: rand() < 0.5 });
    else if (r < 0.95) items.push({ kind: "bytes", value: Uint8Array.from({ length: int(40) }, () => int(256)) });
    else items.push({ kind: "uint32", value: int(2 ** 32) });
  }
  return items;
}

function write(w: BinaryWriter, items: Item[]): void {
  for (const item of items) {
    if ("nested" in item) {
      w.fork();
      write(w, item.nested);
      w.join();
    } else (w[item.kind] as (v: unknown) => BinaryWriter).call(w, item.value);
  }
}

function read(r: BinaryReader, items: Item[]): void {
  for (const item of items) {
    if ("nested" in item) {
      const inner = new BinaryReader(r.bytes());
      read(inner, item.nested);
      expect(inner.pos).toBe(inner.len);
    } else {
      const got = (r[item.kind] as () => unknown).call(r);
      if (item.kind === "bytes") expect(hex(got as Uint8Array)).toBe(hex(item.value as Uint8Array));
      else expect(Object.is(got, item.value) || got === item.value, `${item.kind} ${String(item.value)}`).toBe(true);
    }
  }
}

describe("protobuf-es BinaryWriter (patched)", () => {
  it("writes fixed-width values and short ASCII strings into its byte array, not as chunks", () => {
    const w = new BinaryWriter().double(1.5).fixed32(7).float(2).sfixed64(-1n).string("ascii");
    expect((w as unknown as { chunks: unknown[] }).chunks).toHaveLength(0);
  });

  it("writes the wire format byte for byte", () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.Varint).uint32(150);
    w.tag(2, WireType.LengthDelimited).string("testing");
    w.tag(3, WireType.LengthDelimited).fork().tag(1, WireType.Varint).uint32(150).join();
    w.tag(4, WireType.Bit64).double(1.5);
    w.tag(5, WireType.LengthDelimited).string("é");
    w.tag(6, WireType.Bit32).sfixed32(-2);
    // 150 as a varint is 96 01; doubles are little-endian (1.5 = 3ff8000000000000 reversed).
    expect(hex(w.finish())).toBe("089601120774657374696e671a0308960121000000000000f83f2a02c3a935feffffff");
  });

  it("writes what the reader reads back, over random nested programs", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let i = 0; i < 2000; i++) {
      const items = randomItems(rand, 0);
      const w = new BinaryWriter();
      write(w, items);
      const r = new BinaryReader(w.finish());
      read(r, items);
      expect(r.pos).toBe(r.len);
    }
  });

  it("round-trips a search response", () => {
    const explanation = { relevance: 0.3, recency: Number.MIN_VALUE, importance: -0, bm25: 3.25, dense: 1 };
    const memory = { id: "0190a0b0-0000-7000-8000-000000000010", content: "Allergic to peanuts — 花生 😀", version: 3 };
    const msg = create(SearchMemoriesResponseSchema, {
      results: [
        { memory, score: 0.51, explanation },
        { memory: { ...memory, content: "x".repeat(70) }, score: -1 },
      ],
      mode: 1,
    });
    expect(fromBinary(SearchMemoriesResponseSchema, toBinary(SearchMemoriesResponseSchema, msg))).toEqual(msg);
  });
});
