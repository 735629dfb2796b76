/**
 * The credential behind a client: a static API key, a login (username + password) with its access
 * and refresh tokens, a token pair handed in, or a delegated end-user token. It hands out the bearer
 * for each call, refreshes an access token shortly before it expires, and — once per failed call —
 * recovers from Unauthenticated (refresh, or a new login, or a new end-user token).
 */
import type { Client } from "@connectrpc/connect";
import type { AuthService } from "./gen/memoric/v1/auth_pb.js";

export type MemoricAuth =
  | { apiKey: string }
  | { username: string; password: string }
  /** An access token (and optionally its refresh token and lifetime in seconds, to refresh it). */
  | { token: string; refreshToken?: string; expiresIn?: number }
  /** A delegated end-user token, or a function fetching a fresh one (e.g. from your backend). */
  | { endUserToken: string | (() => string | Promise<string>) };

interface Tokens {
  access: string;
  refresh: string | undefined;
  /** Epoch ms; undefined when unknown. */
  expiresAt: number | undefined;
  lifetimeMs: number | undefined;
}

export class Session {
  /** How many times an access token was refreshed (or re-obtained) so far. */
  refreshCount = 0;
  private tokens: Tokens | undefined;
  private pending: Promise<Tokens | undefined> | undefined;

  constructor(
    private readonly auth: MemoricAuth | undefined,
    private readonly authClient: Client<typeof AuthService>,
    private readonly now: () => number = Date.now,
  ) {
    if (auth && "token" in auth) {
      this.tokens = {
        access: auth.token,
        refresh: auth.refreshToken,
        ...lifetime(auth.expiresIn, now()),
      };
    }
  }

  /** The bearer to send now (undefined: an anonymous client); refreshes a token about to expire. */
  async bearer(): Promise<string | undefined> {
    const auth = this.auth;
    if (!auth) return undefined;
    if ("apiKey" in auth) return auth.apiKey;
    if (!this.tokens) return (await this.renew(undefined))?.access;
    const t = this.tokens;
    if (t.refresh && t.expiresAt !== undefined && t.lifetimeMs !== undefined) {
      const margin = Math.max(5_000, t.lifetimeMs / 10);
      if (this.now() >= t.expiresAt - margin) return (await this.renew(t.access))?.access;
    }
    return t.access;
  }

  /**
   * After an Unauthenticated answer to `failed`: gets a new credential if this kind of auth can.
   * Returns the new bearer, or undefined when nothing can be done.
   */
  async recover(failed: string | undefined): Promise<string | undefined> {
    const auth = this.auth;
    if (!auth || "apiKey" in auth) return undefined;
    if ("endUserToken" in auth && typeof auth.endUserToken === "string") return undefined;
    if ("token" in auth && !this.tokens?.refresh) return undefined;
    const renewed = await this.renew(failed);
    return renewed && renewed.access !== failed ? renewed.access : undefined;
  }

  /** Ends the login session (a no-op for other kinds of auth). */
  async logout(): Promise<void> {
    const t = this.tokens;
    if (!t?.refresh) return;
    this.tokens = undefined;
    await this.authClient.logout({ refreshToken: t.refresh }, { headers: { authorization: `Bearer ${t.access}` } });
  }

  /** One renewal at a time: concurrent callers share it; a caller holding an older token reuses the newer. */
  private renew(stale: string | undefined): Promise<Tokens | undefined> {
    if (this.tokens && this.tokens.access !== stale) return Promise.resolve(this.tokens);
    this.pending ??= this.obtain().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async obtain(): Promise<Tokens | undefined> {
    const auth = this.auth;
    if (!auth || "apiKey" in auth) return undefined;
    const hadToken = this.tokens !== undefined;
    let next: Tokens | undefined;
    if ("endUserToken" in auth) {
      const source = auth.endUserToken;
      next = {
        access: typeof source === "string" ? source : await source(),
        ...lifetime(undefined, 0),
        refresh: undefined,
      };
    } else if (this.tokens?.refresh) {
      try {
        const r = await this.authClient.refresh({ refreshToken: this.tokens.refresh });
        next = { access: r.accessToken, refresh: r.refreshToken, ...lifetime(r.expiresIn, this.now()) };
      } catch (err) {
        if (!("password" in auth)) throw err;
      }
    }
    if (!next && "password" in auth) {
      const r = await this.authClient.login({ username: auth.username, password: auth.password });
      next = { access: r.accessToken, refresh: r.refreshToken, ...lifetime(r.expiresIn, this.now()) };
    }
    if (next && hadToken) this.refreshCount++;
    this.tokens = next;
    return next;
  }
}

function lifetime(expiresIn: number | undefined, now: number): Pick<Tokens, "expiresAt" | "lifetimeMs"> {
  if (!expiresIn || expiresIn <= 0) return { expiresAt: undefined, lifetimeMs: undefined };
  return { expiresAt: now + expiresIn * 1000, lifetimeMs: expiresIn * 1000 };
}
