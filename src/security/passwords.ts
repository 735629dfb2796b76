// Password policy (NIST SP 800-63B §5.1.1.2) and bcrypt hashing.
//
// Policy: length in code points after NFKC, a hard 72-byte ceiling (bcrypt silently ignores
// anything past byte 72, so we reject rather than let two passwords collide), a common/breached
// list, and no username/email. Deliberately NO composition rules (NIST says they hurt).
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { bcryptCompare, bcryptHash } from "./bcrypt-pool.js";

const DEFAULT_MIN_PASSWORD_LENGTH = 12;
const MIN_PASSWORD_LENGTH_FLOOR = 8;
const MAX_PASSWORD_BYTES = 72;
const MIN_BCRYPT_COST = 10;
const MAX_BCRYPT_COST = 31;
const DEFAULT_BCRYPT_COST = 12;

export type PasswordRule =
  | "type"
  | "min_length"
  | "max_bytes"
  | "control_characters"
  | "common"
  | "contains_username"
  | "contains_email";

/** A policy violation; `message` is safe to show to the user and never contains the password. */
export class PasswordPolicyError extends Error {
  override readonly name = "PasswordPolicyError";
  readonly field: string;
  readonly rule: PasswordRule;
  constructor(rule: PasswordRule, message: string, field = "password") {
    super(message);
    this.rule = rule;
    this.field = field;
  }
}

/** NFKC so that visually identical inputs (full-width, ligatures, composed vs decomposed) hash alike. */
export function normalizePassword(p: string): string {
  return p.normalize("NFKC");
}

// --- common-password list -------------------------------------------------------------------

// @zxcvbn-ts/language-common (MIT) ships ~49k common passwords (lower-cased). Loaded with require()
// on first use so that importing this module stays cheap and checkPasswordPolicy stays synchronous.
let commonPasswords: Set<string> | undefined;

function loadCommonPasswords(): Set<string> {
  if (commonPasswords) return commonPasswords;
  const require = createRequire(import.meta.url);
  const mod = require("@zxcvbn-ts/language-common") as {
    dictionary: { "passwords-common": readonly string[] };
  };
  const list = mod.dictionary["passwords-common"];
  const set = new Set<string>();
  for (const entry of list) set.add(entry.normalize("NFKC").toLowerCase());
  commonPasswords = set;
  return set;
}

/** Number of entries in the bundled common-password list (loads it). */
export function commonPasswordCount(): number {
  return loadCommonPasswords().size;
}

/** Case-insensitive membership in the bundled common/breached-password list. */
export function isCommonPassword(password: string): boolean {
  return loadCommonPasswords().has(normalizePassword(password).toLowerCase());
}

// --- policy ----------------------------------------------------------------------------------

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function identifierFragments(ctx: { username?: string; email?: string }): {
  username: string[];
  email: string[];
} {
  const norm = (s: string) => s.normalize("NFKC").toLowerCase().trim();
  const username: string[] = [];
  const email: string[] = [];
  if (typeof ctx.username === "string") username.push(norm(ctx.username));
  if (typeof ctx.email === "string") {
    const at = ctx.email.lastIndexOf("@");
    const local = norm(at >= 0 ? ctx.email.slice(0, at) : ctx.email);
    email.push(local);
    // "alice+memoric@…" — the base name before the sub-address tag is just as guessable.
    const plus = local.indexOf("+");
    if (plus > 0) email.push(local.slice(0, plus));
  }
  // Fragments shorter than 3 code points would forbid far too many passwords for no gain.
  const long = (s: string) => codePointLength(s) >= 3;
  return { username: username.filter(long), email: email.filter(long) };
}

/**
 * Throws PasswordPolicyError (naming the rule, never echoing the password) if `password`
 * is unacceptable. `opts.minLength` defaults to 12 and may not be set below 8.
 */
export function checkPasswordPolicy(
  password: string,
  ctx: { username?: string; email?: string },
  opts: { minLength?: number } = {},
): void {
  const minLength = opts.minLength ?? DEFAULT_MIN_PASSWORD_LENGTH;
  // A misconfiguration, not a user error: fail loudly rather than silently weaken the policy.
  if (!Number.isInteger(minLength) || minLength < MIN_PASSWORD_LENGTH_FLOOR) {
    throw new RangeError(`minLength must be an integer >= ${MIN_PASSWORD_LENGTH_FLOOR}`);
  }
  if (typeof password !== "string") {
    throw new PasswordPolicyError("type", "Password must be a string.");
  }
  const p = normalizePassword(password);

  if (codePointLength(p) < minLength) {
    throw new PasswordPolicyError("min_length", `Password must be at least ${minLength} characters long.`);
  }
  if (Buffer.byteLength(p, "utf8") > MAX_PASSWORD_BYTES) {
    throw new PasswordPolicyError(
      "max_bytes",
      `Password must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 ` +
        `(${MAX_PASSWORD_BYTES} plain ASCII characters; fewer with accented or non-Latin characters).`,
    );
  }
  // Control characters (NUL, tab, newline, …) are not "printing characters" in NIST's sense and
  // usually mean a paste accident; some bcrypt bindings also stop at NUL.
  if (/\p{Cc}/u.test(p)) {
    throw new PasswordPolicyError(
      "control_characters",
      "Password must not contain control characters such as tabs, newlines or NUL.",
    );
  }
  const lower = p.toLowerCase();
  if (loadCommonPasswords().has(lower)) {
    throw new PasswordPolicyError(
      "common",
      "Password is on a list of commonly used or breached passwords; choose another.",
    );
  }
  const frags = identifierFragments(ctx);
  if (frags.username.some((u) => lower.includes(u))) {
    throw new PasswordPolicyError("contains_username", "Password must not contain your username.");
  }
  if (frags.email.some((e) => lower.includes(e))) {
    throw new PasswordPolicyError("contains_email", "Password must not contain the name part of your email address.");
  }
}

// --- hashing ---------------------------------------------------------------------------------

function assertCost(cost: number): void {
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new RangeError(`bcrypt cost must be an integer between ${MIN_BCRYPT_COST} and ${MAX_BCRYPT_COST}`);
  }
}

/**
 * bcrypt-hashes the NFKC-normalized password off the event loop, on a low-priority thread
 * (bcrypt-pool.ts). Refuses > 72 bytes instead of letting bcrypt truncate.
 */
export async function hashPassword(password: string, cost: number): Promise<string> {
  assertCost(cost);
  if (typeof password !== "string") throw new PasswordPolicyError("type", "Password must be a string.");
  const p = normalizePassword(password);
  if (Buffer.byteLength(p, "utf8") > MAX_PASSWORD_BYTES) {
    throw new PasswordPolicyError("max_bytes", `Password must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8.`);
  }
  return bcryptHash(p, cost);
}

// One dummy hash per cost, computed once (memoized promise) and reused for unknown users.
const dummyHashes = new Map<number, Promise<string>>();

function dummyHash(cost: number): Promise<string> {
  let h = dummyHashes.get(cost);
  if (!h) {
    // The plaintext is irrelevant: it is random and discarded, so nothing can ever match it.
    h = bcryptHash(randomUUID(), cost);
    h.catch(() => dummyHashes.delete(cost));
    dummyHashes.set(cost, h);
  }
  return h;
}

/** Computes the dummy hash ahead of time (call at start-up so the first unknown-user login isn't slower). */
export async function prepareDummyHash(cost: number = DEFAULT_BCRYPT_COST): Promise<void> {
  assertCost(cost);
  await dummyHash(cost);
}

const BCRYPT_HASH_RE = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/**
 * Constant-shape verification: when `hash` is null (unknown user) or unusable, a bcrypt compare
 * still runs against a dummy hash of cost `opts.dummyCost` (set it to the cost your stored hashes
 * use; default 12) so that "no such user" and "wrong password" take comparable time. Never throws
 * for bad input; returns false.
 */
export async function verifyPassword(
  password: string,
  hash: string | null,
  opts: { dummyCost?: number } = {},
): Promise<boolean> {
  const dummyCost = opts.dummyCost ?? DEFAULT_BCRYPT_COST;
  assertCost(dummyCost);
  const p = typeof password === "string" ? normalizePassword(password) : "";
  const usablePassword = typeof password === "string" && Buffer.byteLength(p, "utf8") <= MAX_PASSWORD_BYTES;
  const usableHash = typeof hash === "string" && BCRYPT_HASH_RE.test(hash);

  if (!usablePassword || !usableHash) {
    try {
      const dummy = await dummyHash(dummyCost);
      await bcryptCompare(p, dummy);
    } catch {
      // Timing equalisation only; the answer is false regardless.
    }
    return false;
  }
  try {
    return await bcryptCompare(p, hash);
  } catch {
    return false;
  }
}
