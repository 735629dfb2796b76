import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Severity, SeveritySchema } from "../../gen/memoric/v1/audit_pb.js";
import { violationsOf } from "../../src/domain/field-violations.js";
import {
  decodePageToken,
  encodePageToken,
  enumValue,
  optionalUuid,
  pageSize,
  requireUuid,
} from "../../src/domain/validation.js";

/** The field an InvalidArgument thrown by fn names. */
function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(ConnectError.from(err).code).toBe(Code.InvalidArgument);
    return violationsOf(err)[0]?.field;
  }
  return undefined;
}

const ID = "0b5e3c4a-8f1d-4e2b-9a7c-1d2e3f4a5b6c";

describe("UUIDs", () => {
  it("accept any case, answer lower case, and refuse anything else naming the field", () => {
    expect(requireUuid("id", ID.toUpperCase())).toBe(ID);
    expect(optionalUuid("user_id", "")).toBeUndefined();
    expect(fieldOf(() => requireUuid("user_id", "x' or 1=1"))).toBe("user_id");
    expect(fieldOf(() => optionalUuid("user_id", `${ID}0`))).toBe("user_id");
  });
});

describe("pageSize", () => {
  const rule = { default: 50, max: 500 };
  it("0 means the default; 1..max as given; anything else is refused, not clamped", () => {
    expect(pageSize("page_size", 0, rule)).toBe(50);
    expect(pageSize("page_size", 1, rule)).toBe(1);
    expect(pageSize("page_size", 500, rule)).toBe(500);
    for (const n of [-1, 501, 100_000, 1.5]) expect(fieldOf(() => pageSize("limit", n, rule))).toBe("limit");
  });
});

describe("page tokens", () => {
  const cursor = { time: "2024-05-01T12:34:56.123456Z", id: ID };

  it("round-trip a cursor at microsecond precision; empty means the first page", () => {
    expect(decodePageToken(encodePageToken(cursor))).toEqual(cursor);
    expect(decodePageToken(encodePageToken(cursor, "f1"), "f1")).toEqual(cursor);
    expect(decodePageToken("")).toBeUndefined();
  });

  it("refuse tokens for other filters, other versions, bad dates and non-UUID ids", () => {
    const raw = (body: unknown) => Buffer.from(JSON.stringify(body)).toString("base64url");
    const bad = [
      "garbage!!",
      "x".repeat(600),
      raw(null),
      raw([cursor.time, cursor.id]),
      raw({ v: 2, t: cursor.time, id: ID }),
      raw({ v: 1, t: "2024-02-30T00:00:00.000000Z", id: ID }),
      raw({ v: 1, t: 42, id: ID }),
      raw({ v: 1, t: cursor.time, id: "x' or 1=1" }),
    ];
    for (const token of bad)
      expect(
        fieldOf(() => decodePageToken(token)),
        token,
      ).toBe("page_token");
    expect(fieldOf(() => decodePageToken(encodePageToken(cursor, "f1"), "f2"))).toBe("page_token");
    expect(fieldOf(() => decodePageToken(encodePageToken(cursor, "f1")))).toBe("page_token");
  });
});

describe("enumValue", () => {
  it("takes values from the proto enum: UNSPECIFIED is 'not given', unknown numbers are refused", () => {
    expect(enumValue(SeveritySchema, "severity", Severity.WARNING)).toBe(Severity.WARNING);
    expect(enumValue(SeveritySchema, "severity", Severity.UNSPECIFIED)).toBeUndefined();
    expect(fieldOf(() => enumValue(SeveritySchema, "severity", 99 as Severity))).toBe("severity");
    expect(fieldOf(() => enumValue(SeveritySchema, "severity", 0 as Severity, { required: true }))).toBe("severity");
  });
});
