/** Register: a new account with role USER. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { callInfo, callState } from "../../interceptors/call-context.js";
import { createAccount } from "./accounts.js";
import type { AuthDeps } from "./deps.js";
import { userToProto } from "./mapping.js";

export default function (deps: AuthDeps): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async register(req, ctx) {
      // Role is always USER: nothing in the request can ask for more.
      const user = await createAccount(deps, callInfo(ctx), {
        username: req.username,
        email: req.email,
        fullName: req.fullName,
        password: req.password,
        roles: ["USER"],
      });
      callState(ctx).audited = true;
      return { user: userToProto(user) };
    },
  };
}
