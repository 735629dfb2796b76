/** Register: a new account with role USER. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { insertUser } from "../../store/identity/users.js";
import { SYSTEM } from "../../store/tx.js";
import { withAuditedTx } from "../audited-tx.js";
import { accountCreated, alreadyRegistered, prepareAccount } from "./accounts.js";
import { userToProto } from "./mapping.js";

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async register(req, ctx) {
    // Role is always USER: nothing in the request can ask for more.
    const account = await prepareAccount(app.config.auth, {
      username: req.username,
      email: req.email,
      fullName: req.fullName,
      password: req.password,
      roles: ["USER"],
    });
    const user = await withAuditedTx(
      app,
      ctx,
      (tx) => insertUser(tx, account),
      (row) => accountCreated(account, row),
      { as: SYSTEM },
    ).catch(alreadyRegistered);
    return { user: userToProto(user) };
  },
});
