/**
 * End users (DESIGN.md §9): the backend's external id rules, and the internal id derived from it.
 * The internal id is computed, never looked up, so that finding or auto-creating an end user touches
 * only that end user's shard (§11 "routable ids").
 */
import { createHash } from "node:crypto";

const MAX_END_USER_ID_CHARS = 256;

// C0/C1 controls, and line/paragraph separators: ids are echoed in logs of backends and consoles.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Why an external id is unacceptable, or undefined when it is fine. Ids are exact: no trimming or folding. */
export function externalIdProblem(id: string): string | undefined {
  if (id.length === 0) return "must not be empty";
  if ([...id].length > MAX_END_USER_ID_CHARS) return `must be at most ${MAX_END_USER_ID_CHARS} characters`;
  if (CONTROL.test(id)) return "must not contain control characters";
  if (id.trim() !== id) return "must not start or end with white space";
  return undefined;
}

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

/** RFC 9562 UUIDv5: SHA-1 of the namespace (the account id) and the name (the keyed hash). */
export function endUserOwnerId(accountId: string, keyedHash: Uint8Array): string {
  const digest = createHash("sha1").update(uuidBytes(accountId)).update(keyedHash).digest();
  const b = digest.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
