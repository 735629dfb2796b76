// High-entropy random secrets: refresh tokens, API keys, and how we store them.
//
// These secrets are >= 128 bits of CSPRNG output, so a fast hash (SHA-256) is enough to store
// them: there is nothing to brute-force, unlike human passwords which need bcrypt.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const API_KEY_PREFIX = "mk_";
/** Random bytes in an API key (256 bits). */
const API_KEY_RANDOM_BYTES = 32;
/** Characters of the key kept in clear for lookup/display ("mk_" + 7). */
const API_KEY_DISPLAY_PREFIX_LENGTH = 10;
/** Below this an opaque token is guessable in principle; refuse to make one. */
const MIN_OPAQUE_TOKEN_BYTES = 16;

// base64url of 32 bytes is exactly 43 characters, no padding.
const API_KEY_RE = /^mk_[A-Za-z0-9_-]{43}$/;
// Non-empty: two empty "digests" matching would only ever indicate a bug upstream.
const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/;

/** A random, URL-safe opaque token (refresh tokens, etc.). */
export function generateOpaqueToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_OPAQUE_TOKEN_BYTES) {
    throw new RangeError(`opaque tokens need at least ${MIN_OPAQUE_TOKEN_BYTES} random bytes`);
  }
  return randomBytes(bytes).toString("base64url");
}

/** SHA-256 (lower-case hex) of a high-entropy secret, for storage and lookup. */
export function hashSecret(secret: string): string {
  if (typeof secret !== "string") throw new TypeError("secret must be a string");
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * A new API key. `key` is shown to the user once; store only `prefix` (to find and display it)
 * and `hash`.
 */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomBytes(API_KEY_RANDOM_BYTES).toString("base64url");
  return { key, prefix: key.slice(0, API_KEY_DISPLAY_PREFIX_LENGTH), hash: hashSecret(key) };
}

/**
 * True only for a well-formed API key ("mk_" + 43 base64url chars), so a bearer token can be
 * routed to API-key lookup without touching the database for garbage. JWTs never match
 * (they contain dots).
 */
export function isApiKey(token: string): boolean {
  return typeof token === "string" && API_KEY_RE.test(token);
}

/**
 * Constant-time comparison of two hex digests (case-insensitive). Returns false, without
 * throwing, for different lengths or non-hex input; a length difference leaks nothing since
 * digests have a fixed, public length.
 */
export function timingSafeEqualHex(a: string, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string") return false;
  if (a.length !== b.length || !HEX_RE.test(a) || !HEX_RE.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, "hex"), Buffer.from(b, "hex"));
}
