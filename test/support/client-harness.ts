/**
 * Shared set-up of the client acceptance tests (test/clients/): a real server, an account with a
 * password and an API key, an access token the server answers TOKEN_EXPIRED to (signed with the
 * server's real secret, exp in the past) with its session's live refresh token.
 */
import { createClient } from "@connectrpc/connect";
import crypto from "node:crypto";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { anonymous, registerAndLogin, TEST_PASSWORD } from "./identity.js";
import type { TestServer } from "./server.js";

export interface ClientFixture {
  username: string;
  password: string;
  apiKey: string;
  expired: { token: string; refreshToken: string };
  /** The scenario's end-user steps (isolation, delegated tokens) run; false only to debug a server without them. */
  endUsers: boolean;
}

/** A fresh tag for contents: each scenario run finds its own memories among others'. */
export const runTag = () => `run${crypto.randomBytes(4).toString("hex")}`;

export async function clientFixture(server: TestServer): Promise<ClientFixture> {
  const user = await registerAndLogin(server);
  const auth = createClient(AuthService, user.transport);
  const { key } = await auth.createApiKey({ name: "client-tests" });
  return {
    username: user.username,
    password: TEST_PASSWORD,
    apiKey: key,
    expired: await expiredSession(server, user.username),
    endUsers: true,
  };
}

/** Each call makes a new session: its access token, re-signed with exp in the past, and its refresh token. */
export async function expiredSession(
  server: TestServer,
  username: string,
): Promise<{ token: string; refreshToken: string }> {
  const res = await anonymous(server).login({ username, password: TEST_PASSWORD });
  const secret = server.config.secrets.jwtSecret;
  if (!secret) throw new Error("the test server signs with HS256 (MEMORIC_JWT_SECRET)");
  const key = secret.startsWith("base64:") ? Buffer.from(secret.slice(7), "base64") : Buffer.from(secret, "utf8");
  const [header, payload] = res.accessToken.split(".") as [string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, number>;
  const now = Math.floor(Date.now() / 1000);
  const stale = { ...claims, iat: now - 3600, exp: now - 1800, ...(claims.nbf ? { nbf: now - 3600 } : {}) };
  const input = `${header}.${Buffer.from(JSON.stringify(stale)).toString("base64url")}`;
  const sig = crypto.createHmac("sha256", key).update(input).digest("base64url");
  return { token: `${input}.${sig}`, refreshToken: res.refreshToken };
}
