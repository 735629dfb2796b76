/**
 * Typed errors: every failed call surfaces as a MemoricError (a ConnectError) with the server's
 * structured details decoded — field violations, the retry hint and the ErrorInfo reason.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb.js";

export interface FieldViolation {
  field: string;
  description: string;
}

/** Keeps the name "ConnectError": connect recognises its errors by name, so a MemoricError passes through it. */
export class MemoricError extends ConnectError {
  /** One entry per invalid field (InvalidArgument), all at once. */
  readonly fieldViolations: FieldViolation[];
  /** The server's retry hint (RetryInfo, else the retry-after header), in milliseconds. */
  readonly retryDelayMs: number | undefined;
  /** ErrorInfo reason, e.g. "TOKEN_EXPIRED", "PERMISSION_MISSING". */
  readonly reason: string | undefined;
  /** ErrorInfo metadata, e.g. { permission: "memories:write" }. */
  readonly errorMetadata: Record<string, string>;

  constructor(cause: ConnectError) {
    super(cause.rawMessage, cause.code, cause.metadata, undefined, cause);
    this.details = cause.details;
    this.fieldViolations = cause
      .findDetails(BadRequestSchema)
      .flatMap((b) => b.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
    this.retryDelayMs = retryDelayMs(cause);
    const info = cause.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason || undefined;
    this.errorMetadata = { ...(info?.metadata ?? {}) };
  }

  /** The code's name as gRPC spells it ("UNAVAILABLE"), for logs. */
  get codeName(): string {
    return (Code[this.code] ?? String(this.code)).replace(/(?<=[a-z])(?=[A-Z])/g, "_").toUpperCase();
  }

  /** ConnectError's own check matches any ConnectError by shape; this one matches MemoricErrors only. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(MemoricError, value);
  }

  static override from(err: unknown): MemoricError {
    if (err instanceof MemoricError) return err;
    const ce = ConnectError.from(err);
    if (!lostConnection(err)) return new MemoricError(ce);
    // The connection broke (refused, reset, closed under a write): the server may be fine on retry.
    return new MemoricError(new ConnectError(ce.rawMessage, Code.Unavailable, ce.metadata, undefined, err));
  }
}

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
]);

/** A transport failure below HTTP: Node's socket errors in the cause chain, or fetch's TypeError. */
function lostConnection(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_ERRORS.has(code)) return true;
    if (e instanceof TypeError && /fetch|network/i.test(e.message)) return true;
  }
  return false;
}

function retryDelayMs(err: ConnectError): number | undefined {
  const info = err.findDetails(RetryInfoSchema)[0];
  if (info?.retryDelay) {
    return Number(info.retryDelay.seconds) * 1000 + Math.round(info.retryDelay.nanos / 1e6);
  }
  const header = err.metadata.get("retry-after");
  if (header !== null && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  return undefined;
}
