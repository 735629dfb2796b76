/**
 * Accounts for tests, through the real AuthService: register, log in, and get clients that send
 * the resulting bearer token. Admins are made by promoting through the database (the only way
 * besides the bootstrap/CLI path, which have their own tests).
 */
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import crypto from "node:crypto";
import postgres from "postgres";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import type { TestServer } from "./server.js";

export const TEST_PASSWORD = "correct horse battery staple 42";

export interface TestUser {
  userId: string;
  username: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  /** gRPC (HTTP/2) transport that sends `authorization: Bearer <token>`. */
  transport: Transport;
  client<S extends DescService>(service: S): Client<S>;
}

export function bearerTransport(server: TestServer, token: string | undefined): Transport {
  const auth: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createGrpcTransport({ baseUrl: server.url, interceptors: [auth] });
}

export const anonymous = (server: TestServer) =>
  createClient(AuthService, createGrpcTransport({ baseUrl: server.url }));

export async function registerAndLogin(
  server: TestServer,
  username = `u${crypto.randomBytes(5).toString("hex")}`,
): Promise<TestUser> {
  const auth = anonymous(server);
  const email = `${username}@example.com`;
  const { user } = await auth.register({ username, email, password: TEST_PASSWORD, fullName: username });
  return login(server, { userId: user!.id, username, email, password: TEST_PASSWORD });
}

export async function login(
  server: TestServer,
  who: { userId: string; username: string; email: string; password: string },
): Promise<TestUser> {
  const res = await anonymous(server).login({ username: who.username, password: who.password });
  const transport = bearerTransport(server, res.accessToken);
  return {
    ...who,
    token: res.accessToken,
    refreshToken: res.refreshToken,
    transport,
    client: (s) => createClient(s, transport),
  };
}

/** Runs SQL as the database owner (outside the service's RLS role): for setup and tamper tests. */
export async function asOwner<T>(server: TestServer, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  if (!server.config.databaseUrl) return fn(server.db.sql);
  const sql = postgres(server.config.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Registers a user, gives them `roles` directly in the database, and logs in again (fresh token). */
export async function userWithRoles(server: TestServer, roles: string[], username?: string): Promise<TestUser> {
  const u = await registerAndLogin(server, username);
  await asOwner(server, (sql) => sql`update users set roles = ${roles} where id = ${u.userId}`);
  return login(server, u);
}

export const admin = (server: TestServer, username?: string) => userWithRoles(server, ["ADMIN"], username);
