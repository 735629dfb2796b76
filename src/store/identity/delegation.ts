/** What decides whether a delegated end-user token is still accepted (interceptors/authn.ts). */
import type { Tx } from "../tx.js";

export interface DelegationState {
  username: string;
  roles: string[];
  /** The account is active. */
  active: boolean;
  /** The end user's current token version; null when the end user no longer exists. */
  owner_version: number | null;
  /** The issuing API key or session is still live. */
  issuer_live: boolean;
}

/** Under the system context (authentication happens before any tenant context exists). */
export async function loadDelegationState(
  tx: Tx,
  accountId: string,
  ownerId: string,
  issuer: { kind: "api_key" | "session"; id: string },
): Promise<DelegationState | undefined> {
  const issuerLive =
    issuer.kind === "api_key"
      ? tx`exists (select 1 from api_keys k where k.id = ${issuer.id} and k.user_id = u.id
                   and k.revoked_at is null and (k.expires_at is null or k.expires_at > now()))`
      : tx`exists (select 1 from sessions s where s.id = ${issuer.id} and s.user_id = u.id
                   and s.revoked_at is null and s.expires_at > now())`;
  const [row] = await tx<DelegationState[]>`
    select u.username, u.roles, u.active,
      (select o.token_version from owners o
       where o.id = ${ownerId} and o.account_id = u.id and o.external_id_ct is not null) as owner_version,
      ${issuerLive} as issuer_live
    from users u where u.id = ${accountId}`;
  return row;
}
