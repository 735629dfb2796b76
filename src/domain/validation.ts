/**
 * The request checks every service shares, written once: UUIDs, page size, page tokens and proto
 * enum values. Each failure is InvalidArgument naming the field (see field-violations.ts); messages
 * name the field, never echo the value (it is attacker-controlled and ends up in audit rows).
 * It lives in domain/ because the store (audit scrubbing) and the interceptors need the UUID check too.
 */
import type { DescEnum } from "@bufbuild/protobuf";
import { invalidField } from "./field-violations.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** The UUID in canonical (lower-case) form. */
export function requireUuid(field: string, value: string): string {
  if (!isUuid(value)) throw invalidField(field, "must be a UUID");
  return value.toLowerCase();
}

/** "" means "not given"; anything else must be a UUID. */
export function optionalUuid(field: string, value: string): string | undefined {
  return value === "" ? undefined : requireUuid(field, value);
}

export interface PageSizeRule {
  /** Used when the request leaves the field at 0. */
  default: number;
  max: number;
}

/** 0 → the default; 1..max as given; anything else is refused (never silently clamped). */
export function pageSize(field: string, value: number, rule: PageSizeRule): number {
  if (value === 0) return rule.default;
  if (!Number.isInteger(value) || value < 1 || value > rule.max) {
    throw invalidField(field, `must be between 1 and ${rule.max}`);
  }
  return value;
}

/**
 * Keyset position after the last row of a page: the row's time as UTC ISO-8601 text (up to
 * microseconds, so Postgres precision survives the round trip) and its id.
 */
export interface PageCursor {
  time: string;
  id: string;
}

// Page tokens are opaque to clients: base64url of {"v":1,"t":time,"id":id,"s":scope}. The scope
// (optional) binds a token to what it was issued for, e.g. a fingerprint of the filters: a token
// reused with other filters would silently skip or repeat rows.
const TOKEN_VERSION = 1;
const MAX_TOKEN_CHARS = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export function encodePageToken(cursor: PageCursor, scope?: string): string {
  const body = { v: TOKEN_VERSION, t: cursor.time, id: cursor.id, ...(scope === undefined ? {} : { s: scope }) };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

function validTime(t: unknown): t is string {
  // The round trip refuses dates JS would roll over (Feb 30) but Postgres would fail to cast.
  return typeof t === "string" && CURSOR_TIME.test(t) && new Date(t).toISOString().slice(0, 19) === t.slice(0, 19);
}

/** "" → undefined (first page); anything not issued by encodePageToken with this scope is refused. */
export function decodePageToken(token: string, scope?: string, field = "page_token"): PageCursor | undefined {
  if (token === "") return undefined;
  let parsed: { v?: unknown; t?: unknown; id?: unknown; s?: unknown };
  try {
    if (token.length > MAX_TOKEN_CHARS || !BASE64URL.test(token)) throw new Error("not base64url");
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as typeof parsed;
    if (typeof parsed !== "object" || parsed === null) throw new Error("not an object");
  } catch {
    throw invalidField(field, "malformed");
  }
  const { v, t, id, s } = parsed;
  if (v !== TOKEN_VERSION || !validTime(t) || typeof id !== "string" || !isUuid(id)) {
    throw invalidField(field, "malformed");
  }
  if (s !== scope) throw invalidField(field, "does not belong to these filters");
  return { time: t, id: id.toLowerCase() };
}

/**
 * A proto enum field's value, checked against the enum's descriptor (proto3 enums are open: any
 * number can arrive). The zero value (…_UNSPECIFIED) means "not given": undefined, or refused when
 * `required`.
 */
export function enumValue<T extends number>(
  schema: DescEnum,
  field: string,
  value: T,
  opts: { required?: boolean } = {},
): T | undefined {
  if (value === 0) {
    if (opts.required) throw invalidField(field, "required");
    return undefined;
  }
  if (schema.value[value] === undefined) throw invalidField(field, "unknown value");
  return value;
}
