/**
 * What authentication caches about credentials: for at most config.auth.revocationCacheMs, the
 * facts that decide whether a JWT or API key is still accepted (see interceptors/authn.ts).
 */
interface Cached<T> {
  value: T;
  at: number;
}

/** A tiny TTL cache: bounded size, entries dropped on expiry or explicit invalidation. */
class TtlCache<T> {
  private readonly map = new Map<string, Cached<T>>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}
  get(key: string): T | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (Date.now() - hit.at >= this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: T): void {
    if (this.ttlMs <= 0) return;
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { value, at: Date.now() });
  }
  deleteWhere(pred: (key: string) => boolean): void {
    for (const key of this.map.keys()) if (pred(key)) this.map.delete(key);
  }
}

export class RevocationCache {
  readonly jwt: TtlCache<{
    username: string;
    roles: string[];
    active: boolean;
    tokenVersion: number;
    sessionRevoked: boolean;
  } | null>;
  readonly apiKeys: TtlCache<{
    id: string;
    userId: string;
    username: string;
    roles: string[];
    scopes: string[];
  } | null>;
  /** Delegated end-user tokens, keyed "<owner id>:<issuing credential>". */
  readonly endUsers: TtlCache<{
    username: string;
    roles: string[];
    active: boolean;
    ownerVersion: number | null;
    issuerLive: boolean;
  } | null>;
  constructor(ttlMs: number) {
    this.jwt = new TtlCache(ttlMs);
    this.apiKeys = new TtlCache(ttlMs);
    this.endUsers = new TtlCache(ttlMs);
  }
  /** Called by the replica that erased the end user or revoked its tokens. */
  invalidateEndUser(ownerId: string): void {
    this.endUsers.deleteWhere((k) => k.startsWith(`${ownerId}:`));
  }
  /** Called by the replica that changed the user (logout, password, roles, deactivation, deletion, key revocation). */
  invalidateUser(userId: string): void {
    this.jwt.deleteWhere((k) => k.startsWith(`${userId}:`));
    this.apiKeys.deleteWhere(() => true); // keyed by hash; small and rare enough to clear wholesale
    this.endUsers.deleteWhere(() => true); // keyed by end user: the account's are not told apart here
  }
}
