/**
 * memoric.v1.EndUserService, one file per RPC: the end users of the caller's account (DESIGN.md §9).
 * Only account-level credentials reach it (a delegated token never does: domain/access-rules.ts).
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import type { AppContext } from "../../app-context.js";
import { mergeRoutes } from "../routes.js";
import createEndUser from "./create-end-user.js";
import deleteEndUser from "./delete-end-user.js";
import getEndUser from "./get-end-user.js";
import issueEndUserToken from "./issue-end-user-token.js";
import listEndUsers from "./list-end-users.js";
import revokeEndUserTokens from "./revoke-end-user-tokens.js";

const RPCS = [createEndUser, getEndUser, listEndUsers, deleteEndUser, issueEndUserToken, revokeEndUserTokens];

export function endUserService(app: AppContext): ServiceImpl<typeof EndUserService> {
  return mergeRoutes(
    EndUserService,
    RPCS.map((rpc) => rpc(app)),
  );
}
