/**
 * google.rpc.ErrorInfo on denials: a stable, machine-readable reason (clients branch on it, never
 * on message text) in our domain, with what was missing. Never says why a credential failed beyond
 * the reason codes below, so it leaks nothing a message would not.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

const ERROR_DOMAIN = "memoric.dev";

export type DenialReason =
  /** The caller lacks the permission the RPC needs (metadata: permission, procedure). */
  | "PERMISSION_MISSING"
  /** The RPC needs a user session; an API key cannot call it (metadata: procedure). */
  | "USER_SESSION_REQUIRED"
  /** The RPC is not in the access table: fail closed (metadata: procedure). */
  | "RPC_NOT_AVAILABLE"
  /** An API key may not be scoped beyond its creator's permissions (metadata: permission). */
  | "SCOPE_NOT_HELD";

export type AuthReason =
  /** No credential, or a malformed authorization header. */
  | "CREDENTIAL_MISSING"
  /** The token's lifetime is over: refresh or log in again. */
  | "TOKEN_EXPIRED"
  /** Anything else: unknown, revoked, forged or wrong credential (deliberately not told apart). */
  | "CREDENTIAL_INVALID";

function errorInfo(reason: string, metadata: Record<string, string> = {}) {
  return { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) };
}

export function permissionDenied(
  message: string,
  reason: DenialReason,
  metadata: Record<string, string>,
): ConnectError {
  return new ConnectError(message, Code.PermissionDenied, undefined, [errorInfo(reason, metadata)]);
}

export function unauthenticatedError(message: string, reason: AuthReason): ConnectError {
  return new ConnectError(message, Code.Unauthenticated, undefined, [errorInfo(reason)]);
}
