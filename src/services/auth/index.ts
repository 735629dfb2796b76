/**
 * memoric.v1.AuthService: one file per RPC, merged here. Every state change and its audit row
 * share one transaction; bcrypt always runs outside transactions.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { mergeRoutes } from "../routes.js";
import changePassword from "./change-password.js";
import createApiKey from "./create-api-key.js";
import createServiceAccount from "./create-service-account.js";
import deleteUser from "./delete-user.js";
import getCurrentUser from "./get-current-user.js";
import listApiKeys from "./list-api-keys.js";
import listUsers from "./list-users.js";
import login from "./login.js";
import logout from "./logout.js";
import refresh from "./refresh.js";
import register from "./register.js";
import revokeApiKey from "./revoke-api-key.js";
import setUserActive from "./set-user-active.js";
import setUserRoles from "./set-user-roles.js";

const routes = [
  register,
  login,
  refresh,
  logout,
  getCurrentUser,
  changePassword,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  listUsers,
  setUserRoles,
  setUserActive,
  createServiceAccount,
  deleteUser,
];

export function authService(app: AppContext): ServiceImpl<typeof AuthService> {
  return mergeRoutes(
    AuthService,
    routes.map((route) => route(app)),
  );
}
