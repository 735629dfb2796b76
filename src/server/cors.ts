/**
 * CORS for browser clients (Connect-Web, gRPC-Web) from an allow-list of origins. The header lists
 * come from connect's `cors` constants so they follow the protocols' needs.
 */
import { cors as connectCors } from "@connectrpc/connect";
import type http from "node:http";
import type http2 from "node:http2";
import type { Logger } from "../logger.js";
import { safeForLog } from "../domain/sanitize.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

const ALLOW_METHODS = connectCors.allowedMethods.join(", ");
const ALLOW_HEADERS = [...connectCors.allowedHeaders, "Authorization", "X-Request-Id"].join(", ");
const EXPOSE_HEADERS = [...connectCors.exposedHeaders, "X-Request-Id", "Retry-After"].join(", ");
const PREFLIGHT_MAX_AGE_SECONDS = "7200";
const REFUSED = "CORS: this origin is not allowed to call the server (see MEMORIC_CORS_ORIGINS)\n";

export function createCorsHandler(allowedOrigins: readonly string[], logger?: Logger) {
  const any = allowedOrigins.includes("*");
  const allowed = new Set(allowedOrigins);
  const isAllowed = (origin: string) => any || allowed.has(origin);
  // Operators checking why a browser is refused start here: the list as the server understood it.
  logger?.info({ origins: [...allowed] }, allowed.size ? "CORS: allowed origins" : "CORS: no browser origin allowed");

  /** Returns true when the request was a preflight and has been answered. */
  return function handleCors(req: Req, res: Res): boolean {
    const origin = req.headers.origin;
    if (typeof origin !== "string") return false;
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    res.setHeader("Vary", "Origin");
    if (!isAllowed(origin)) {
      if (preflight) {
        // No grant: the browser blocks the real request. Origin, method and path only (no headers:
        // a preflight carries no credentials, but the header list is the caller's to keep).
        const path = (req.url ?? "/").split("?")[0] ?? "/";
        const method = safeForLog(String(req.headers["access-control-request-method"]), 32);
        const fields = { origin: safeForLog(origin, 200), method, path: safeForLog(path, 200) };
        logger?.debug(fields, "CORS: preflight refused, origin not allowed");
        // Scripts never see this body; a developer reading the refused preflight in the browser's tools does.
        res.statusCode = 403;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        res.end(REFUSED);
        return true;
      }
      return false;
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    if (preflight) {
      res.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS);
      res.setHeader("Access-Control-Allow-Headers", ALLOW_HEADERS);
      res.setHeader("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECONDS);
      res.statusCode = 204;
      res.end();
      return true;
    }
    res.setHeader("Access-Control-Expose-Headers", EXPOSE_HEADERS);
    return false;
  };
}
