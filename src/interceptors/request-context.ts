/**
 * The request id (from a sane `x-request-id` or generated); the keys themselves live in
 * domain/call.ts with the call's other context values.
 */
import crypto from "node:crypto";

export { clientAddressKey, requestIdKey, userAgentKey } from "../domain/call.js";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller-supplied id is kept only if it cannot inject anything into logs. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && SAFE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}
