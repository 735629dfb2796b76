/**
 * Per-call context shared by interceptors and handlers: the request id (from a sane
 * `x-request-id` or generated) and the client address (from the socket, see contextValues).
 */
import { createContextKey } from "@connectrpc/connect";
import crypto from "node:crypto";

export const requestIdKey = createContextKey<string>("", { description: "request id" });
export const clientAddressKey = createContextKey<string>("", { description: "client address from the socket" });
export const userAgentKey = createContextKey<string>("", { description: "user agent" });

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller-supplied id is kept only if it cannot inject anything into logs. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && SAFE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}
