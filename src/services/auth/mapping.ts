/** Store rows → AuthService messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ApiKeySchema, Role, UserSchema, type ApiKey, type User } from "../../../gen/memoric/v1/auth_pb.js";
import { isRoleName, type RoleName } from "../../domain/permissions.js";
import type { ApiKeyRow } from "../../store/identity/api-keys.js";
import type { UserRow } from "../../store/identity/users.js";

const ROLE_TO_PROTO: Readonly<Record<RoleName, Role>> = {
  ADMIN: Role.ADMIN,
  USER: Role.USER,
  READ_ONLY: Role.READ_ONLY,
};

function roleToProto(role: RoleName): Role {
  return ROLE_TO_PROTO[role];
}

/** Proto roles → names; UNSPECIFIED or unknown numbers yield undefined. */
export function roleFromProto(role: Role): RoleName | undefined {
  const name = Role[role];
  return name !== undefined && isRoleName(name) ? name : undefined;
}

export function userToProto(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    username: row.username,
    email: row.email,
    fullName: row.full_name,
    roles: row.roles.filter(isRoleName).map(roleToProto),
    active: row.active,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    lastLoginAt: row.last_login_at ? timestampFromDate(row.last_login_at) : undefined,
    serviceAccount: row.service_account,
  });
}

export function apiKeyToProto(row: ApiKeyRow): ApiKey {
  return create(ApiKeySchema, {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: timestampFromDate(row.created_at),
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
    lastUsedAt: row.last_used_at ? timestampFromDate(row.last_used_at) : undefined,
    revoked: row.revoked_at !== null,
  });
}
