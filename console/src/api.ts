/**
 * The signed-in session: a @memoric/client (browser build, Connect over fetch to this origin) holding
 * the access and refresh tokens in memory only. Nothing is written to localStorage or sessionStorage:
 * a reload asks to sign in again (see DESIGN.md, "Browser console").
 */
import { Code, createMemoricClient, MemoricError, type MemoricClient, type User } from "@memoric/client";

export interface Session {
  client: MemoricClient;
  user: User;
  permissions: ReadonlySet<string>;
}

const baseUrl = () => window.location.origin;

export async function signIn(username: string, password: string): Promise<Session> {
  const anonymous = createMemoricClient({ baseUrl: baseUrl() });
  const login = await anonymous.auth.login({ username, password });
  const client = createMemoricClient({
    baseUrl: baseUrl(),
    auth: { token: login.accessToken, refreshToken: login.refreshToken, expiresIn: login.expiresIn },
  });
  const me = await client.auth.getCurrentUser({});
  return { client, user: me.user ?? login.user!, permissions: new Set(me.permissions) };
}

export async function signOut(session: Session): Promise<void> {
  await session.client.session.logout();
}

/** A failed call as a reader should see it: the code's name and the server's message. */
export function describeError(err: unknown): string {
  const e = MemoricError.from(err);
  const violations = e.fieldViolations.map((v) => `${v.field}: ${v.description}`);
  const head = `${Code[e.code] ?? "Error"}: ${e.rawMessage}`;
  return violations.length ? `${head} (${violations.join("; ")})` : head;
}

let onSessionLost: () => void = () => undefined;

/** Called (by the app) with what to do when the server no longer accepts the session. */
export function whenSessionLost(handler: () => void): void {
  onSessionLost = handler;
}

/**
 * A failed call's last word on the session: Unauthenticated after the client's own refresh failed
 * (revoked, deactivated, expired refresh token) sends the user back to the sign-in form.
 */
export function noteFailure(err: unknown): void {
  if (MemoricError.from(err).code === Code.Unauthenticated) onSessionLost();
}

export function can(session: Session, permission: string): boolean {
  return session.permissions.has(permission);
}
