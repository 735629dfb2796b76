/**
 * The outermost interceptor: gives every call a request id (echoed in `x-request-id`) and turns
 * anything that is not a ConnectError into a generic Internal error after logging it, so stack
 * traces and driver messages never reach a client.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { requestIdKey } from "./request-context.js";

function mask(err: unknown, logger: Logger, requestId: string, procedure: string): ConnectError {
  if (err instanceof ConnectError) return err;
  logger.error({ err, requestId, procedure }, "unhandled error in handler");
  return new ConnectError(`internal error (request id ${requestId})`, Code.Internal);
}

async function* guardStream<T>(
  stream: AsyncIterable<T>,
  onError: (err: unknown) => ConnectError,
): AsyncIterable<T> {
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
      if (res.stream) return { ...res, message: guardStream(res.message, onError) };
      return res;
    } catch (err) {
      const masked = onError(err);
      masked.metadata.set("x-request-id", requestId);
      throw masked;
    }
  };
}
