/**
 * CreateServiceAccount (admin): a backend's identity — no password, never a login — and its first API
 * key, shown once. Account and key are created in one transaction with both audit rows
 * (service-accounts.ts, shared with the CLI).
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { adminScope, withAuditedTx } from "../audited-tx.js";
import { alreadyRegistered } from "./accounts.js";
import { apiKeyToProto, roleFromProto, userToProto } from "./mapping.js";
import { insertServiceAccount, prepareServiceAccount, serviceAccountCreated } from "./service-accounts.js";

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async createServiceAccount(req, ctx) {
    const account = prepareServiceAccount({
      username: req.username,
      email: req.email,
      roles: req.roles.map(roleFromProto),
      keyName: req.keyName,
      scopes: req.scopes,
      keyTtlSeconds: req.keyTtl ? Number(req.keyTtl.seconds) + req.keyTtl.nanos / 1e9 : undefined,
    });
    const stored = await withAuditedTx(
      app,
      ctx,
      (tx) => insertServiceAccount(tx, account),
      (r) => serviceAccountCreated(account, r),
      adminScope(ctx),
    ).catch(alreadyRegistered);
    return { user: userToProto(stored.user), apiKey: apiKeyToProto(stored.key), key: stored.secret };
  },
});
