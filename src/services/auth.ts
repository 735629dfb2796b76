/** memoric.v1.AuthService — in progress. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import type { AppDeps } from "../server/deps.js";

export function authService(_deps: AppDeps): Partial<ServiceImpl<typeof AuthService>> {
  return {};
}
