import type { HandlerContext } from "@connectrpc/connect";
import { requirePrincipal } from "../../interceptors/call-context.js";
import type { RevocationCache } from "../../interceptors/authn.js";
import type { AppDeps } from "../../server/deps.js";
import type { DbContext } from "../../store/tx.js";

/** What every AuthService handler is built from: the app's dependencies and the revocation cache. */
export interface AuthDeps extends AppDeps {
  revocations: RevocationCache;
}

/** The admin handlers' database context: RLS admits admin-context rows (the explicit admin path). */
export function adminContext(ctx: HandlerContext): DbContext {
  return { kind: "admin", userId: requirePrincipal(ctx).userId };
}
