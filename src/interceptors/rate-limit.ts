/**
 * Per-principal (authenticated) and per-address (anonymous) RPC budgets, counted in Postgres so
 * they hold across replicas, leased in blocks (domain/rate-lease.ts) so the count costs one round
 * trip per block rather than per call. Health and reflection are exempt: probes are never throttled.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { RPCS } from "../domain/access-rules.js";
import type { AppContext } from "../app-context.js";
import { LeasedLimiter } from "../domain/rate-lease.js";
import { hitWindow } from "../store/identity/throttle.js";
import { toConnectError } from "../store/tx.js";
import { withAuditEvent } from "../domain/audited-error.js";
import { clientAddressKey, principalKey } from "../domain/call.js";

export function rateLimited(retryAfterSeconds: number, what: string): ConnectError {
  const err = new ConnectError(`${what}; retry after ${retryAfterSeconds} s`, Code.ResourceExhausted);
  err.metadata.set("retry-after", String(retryAfterSeconds));
  return err;
}

export function rateLimitInterceptor(deps: AppContext): Interceptor {
  const { abuse } = deps.config;
  const limiter = new LeasedLimiter((key, n) =>
    hitWindow(deps.db.sql, key, abuse.windowSeconds, n).catch((err: unknown) => {
      throw toConnectError(err);
    }),
  );
  return (next) => async (req) => {
    const policy = RPCS[`${req.service.typeName}/${req.method.name}`];
    if (!policy?.event) return next(req);
    const principal = req.contextValues.get(principalKey);
    const key = !principal
      ? `rpc:a:${req.contextValues.get(clientAddressKey)}`
      : principal.type === "api_key"
        ? `rpc:k:${principal.credentialId}`
        : `rpc:u:${principal.userId}`;
    const limit = principal ? abuse.rpcPerWindow : abuse.anonymousRpcPerWindow;
    // A delegated token spends its end user's budget first, then the account's like any call.
    if (principal?.pinned) {
      const own = await limiter.take(`rpc:e:${principal.pinned.ownerId}`, abuse.endUserRpcPerWindow);
      if (!own.allowed) {
        deps.metrics.rateLimited("rpc_end_user");
        throw withAuditEvent(
          rateLimited(own.retryAfterSeconds, "end user rate limit exceeded"),
          "security.rate_limit.exceeded",
        );
      }
    }
    const taken = await limiter.take(key, limit);
    if (!taken.allowed) {
      const scope = !principal ? "rpc_anonymous" : principal.type === "api_key" ? "rpc_api_key" : "rpc_user";
      deps.metrics.rateLimited(scope);
      throw withAuditEvent(rateLimited(taken.retryAfterSeconds, "rate limit exceeded"), "security.rate_limit.exceeded");
    }
    return next(req);
  };
}
