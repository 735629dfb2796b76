/**
 * The outermost interceptor: gives every call a request id (echoed in `x-request-id`) and turns
 * anything that is not a ConnectError into a generic Internal error after logging it, so stack
 * traces and driver messages never reach a client. It also makes errors actionable in one place:
 * an undecodable request message is InvalidArgument, and every ResourceExhausted/Unavailable
 * carries google.rpc.RetryInfo matching its `retry-after` header.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { Logger } from "../logger.js";
import { requestIdKey } from "./request-context.js";
import { overlay } from "../domain/objects.js";

/** How connect-es words a request message it could not decode; it reports it as Internal. */
const PARSE_FAILURE = "parse binary: ";
/** The retry delay advertised when a retryable error does not name one. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/**
 * The client's bytes did not decode (truncated field, invalid UTF-8): InvalidArgument. Only
 * connect's request-parse wording qualifies, so a genuine server Internal is never relabelled.
 */
export function asRequestParseFailure(code: Code, message: string): ConnectError | undefined {
  if (code !== Code.Internal || !message.startsWith(PARSE_FAILURE)) return undefined;
  return new ConnectError(`malformed request message: ${message.slice(PARSE_FAILURE.length)}`, Code.InvalidArgument);
}

function hasDetail(err: ConnectError, typeName: string): boolean {
  return err.details.some((d) => ("desc" in d ? d.desc.typeName : d.type) === typeName);
}

/** ResourceExhausted/Unavailable get RetryInfo from `retry-after` (seconds), which is set if absent. */
function withRetryInfo(err: ConnectError): ConnectError {
  if (err.code !== Code.ResourceExhausted && err.code !== Code.Unavailable) return err;
  if (hasDetail(err, RetryInfoSchema.typeName)) return err;
  const header = err.metadata.get("retry-after");
  const given = header !== null && /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) : undefined;
  const delay = given ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (given === undefined) err.metadata.set("retry-after", String(delay));
  const seconds = Math.floor(delay);
  const retryDelay = { seconds: BigInt(seconds), nanos: Math.round((delay - seconds) * 1e9) };
  err.details.push({ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay }) });
  return err;
}

function mask(err: unknown, logger: Logger, requestId: string, procedure: string): ConnectError {
  if (err instanceof ConnectError) return withRetryInfo(asRequestParseFailure(err.code, err.rawMessage) ?? err);
  logger.error({ err, requestId, procedure }, "unhandled error in handler");
  return new ConnectError(`internal error (request id ${requestId})`, Code.Internal);
}

async function* guardStream<T>(stream: AsyncIterable<T>, onError: (err: unknown) => ConnectError): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (err) {
    throw onError(err);
  }
}

export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const requestId = req.contextValues.get(requestIdKey);
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const onError = (err: unknown) => mask(err, logger, requestId, procedure);
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      if (res.stream) return overlay(res, { message: guardStream(res.message, onError) });
      return res;
    } catch (err) {
      const masked = onError(err);
      masked.metadata.set("x-request-id", requestId);
      throw masked;
    }
  };
}
