/**
 * End users for tests: a service account made through the real AuthService (by an admin), clients
 * that send its API key or a delegated end-user token, and small helpers the end-user specs share.
 */
import type { DescService } from "@bufbuild/protobuf";
import { type Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import crypto from "node:crypto";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AuthService, type Role } from "../../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { bearerTransport, type TestUser } from "./identity.js";
import type { TestServer } from "./server.js";

/** A credential and clients that send it, over gRPC (connect-node, HTTP/2) or Connect (HTTP/1.1). */
export interface Caller {
  credential: string;
  client<S extends DescService>(service: S): Client<S>;
  connect<S extends DescService>(service: S): Client<S>;
}

export function caller(server: TestServer, credential: string): Caller {
  const grpc = bearerTransport(server, credential);
  const connect = createConnectTransport({
    baseUrl: server.url,
    httpVersion: "1.1",
    interceptors: [
      (next) => (req) => {
        req.header.set("authorization", `Bearer ${credential}`);
        return next(req);
      },
    ],
  });
  return {
    credential,
    client: (s) => createClient(s, grpc),
    connect: (s) => createClient(s, connect),
  };
}

export interface ServiceAccount extends Caller {
  userId: string;
  username: string;
  apiKeyId: string;
  memories: Client<typeof MemoryService>;
  endUsers: Client<typeof EndUserService>;
}

/** A service account with its first API key, created by `admin` through AuthService.CreateServiceAccount. */
export async function serviceAccount(
  server: TestServer,
  admin: TestUser,
  opts: { username?: string; roles?: Role[]; scopes?: string[] } = {},
): Promise<ServiceAccount> {
  const username = opts.username ?? `svc-${crypto.randomBytes(5).toString("hex")}`;
  const res = await admin
    .client(AuthService)
    .createServiceAccount({ username, roles: opts.roles ?? [], scopes: opts.scopes ?? [], keyName: "backend" });
  const c = caller(server, res.key);
  return {
    ...c,
    userId: res.user!.id,
    username,
    apiKeyId: res.apiKey!.id,
    memories: c.client(MemoryService),
    endUsers: c.client(EndUserService),
  };
}

/** A delegated token for `endUserId`, issued with the account's credential. */
export async function delegate(
  server: TestServer,
  account: Caller,
  endUserId: string,
  opts: { permissions?: string[]; threadId?: string } = {},
): Promise<Caller> {
  const res = await account
    .client(EndUserService)
    .issueEndUserToken({ endUserId, permissions: opts.permissions ?? [], threadId: opts.threadId ?? "" });
  return caller(server, res.token);
}

/** The outcome of a call as a ConnectError (undefined when it succeeded). */
export const errorOf = (p: Promise<unknown>): Promise<ConnectError | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

export const codeOf = async (p: Promise<unknown>): Promise<Code | undefined> => (await errorOf(p))?.code;

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The fields a BadRequest detail of `err` names. */
export const violatedFields = (err: ConnectError | undefined): string[] =>
  (err?.findDetails(BadRequestSchema) ?? []).flatMap((d) => d.fieldViolations.map((v) => v.field));

/** Everything an error tells its caller, as text: message, metadata and every detail's bytes. */
export function errorText(err: ConnectError): string {
  const details = err.details.map((d) =>
    "value" in d && d.value instanceof Uint8Array ? Buffer.from(d.value).toString("latin1") : JSON.stringify(d),
  );
  return [err.message, ...[...err.metadata].map(([k, v]) => `${k}: ${v}`), ...details].join("\n");
}
