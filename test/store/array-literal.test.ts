/** Spec: array literals of integers and UUIDs, in PostgreSQL's text form for arrays. */
import { describe, expect, it } from "vitest";
import { arrayLiteral } from "../../src/store/array-literal.js";

describe("arrayLiteral", () => {
  it("joins integers, bigints, their decimal strings and UUIDs without quoting", () => {
    expect(arrayLiteral([1, -2, 3n, "-9223372036854775808"])).toBe("{1,-2,3,-9223372036854775808}");
    expect(arrayLiteral(["0193f0a2-7b1c-7c3e-9a1b-000000000001"])).toBe("{0193f0a2-7b1c-7c3e-9a1b-000000000001}");
  });

  it("writes an empty array as {}", () => {
    expect(arrayLiteral([])).toBe("{}");
  });
});
