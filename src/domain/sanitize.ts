// Helpers for putting user-controlled strings into logs and audit rows safely.
import { createHmac } from "node:crypto";

// Characters that must never reach a log line raw:
//  - C0 controls, DEL and C1 controls: CR/LF forge new log lines; ESC (0x1b) and CSI (0x9b) start
//    ANSI sequences that recolor, move the cursor or retitle a terminal; NUL truncates in some sinks.
//  - U+2028/U+2029 line/paragraph separators: treated as newlines by JS-based viewers.
//  - Bidi overrides/isolates (U+202A–U+202E, U+2066–U+2069): reorder displayed text ("Trojan Source").
//  - Lone surrogates: not valid UTF-16, some encoders replace or choke on them.
// Backslash is escaped too, so the output is unambiguous: a literal "\n" typed by a user becomes
// "\\n" and can't be mistaken for an escaped newline.
// (With the "u" flag a surrogate range only matches *lone* surrogates; valid pairs are one code point.)
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\\\ud800-\udfff]/u;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\" };

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

const ELLIPSIS = "…";

/**
 * Escape `s` for a single log line and cap it at `maxLen` UTF-16 code units (escapes included).
 * Truncation happens between whole characters/escapes (never inside a surrogate pair or "\x1b")
 * and is marked with a trailing "…".
 */
export function safeForLog(s: string, maxLen = 512): string {
  if (!Number.isInteger(maxLen) || maxLen < 0) throw new RangeError("maxLen must be a non-negative integer");
  const pieces: string[] = [];
  let len = 0;
  // Iterating by code point keeps surrogate pairs together; lone surrogates arrive as single units.
  for (const ch of s) {
    const piece = UNSAFE.test(ch) ? escapeChar(ch) : ch;
    if (len + piece.length > maxLen) {
      // Drop pieces until the marker fits too.
      while (pieces.length > 0 && len + ELLIPSIS.length > maxLen) len -= pieces.pop()!.length;
      return len + ELLIPSIS.length <= maxLen ? pieces.join("") + ELLIPSIS : "";
    }
    pieces.push(piece);
    len += piece.length;
  }
  return pieces.join("");
}

/**
 * Keyed one-way identifier: lowercase hex HMAC-SHA256(salt, UTF-8 value). Lets the audit log record
 * e.g. the username of a failed login so admins can search for it (hash the search term the same
 * way) without storing attacker-supplied or personal text in clear. Normalize (case, Unicode NFC)
 * before calling if lookups should be insensitive to it.
 */
export function hmacIdentifier(salt: Buffer, value: string): string {
  if (salt.length === 0) throw new RangeError("salt must not be empty");
  return createHmac("sha256", salt).update(value, "utf8").digest("hex");
}
