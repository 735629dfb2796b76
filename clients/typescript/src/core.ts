/**
 * createMemoricClient's transport-independent part: typed service clients over one interceptor
 * pipeline, default deadlines, end-user scoping and iterators over paged lists and exports.
 */
import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { type CallOptions, type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { AuditService } from "./gen/memoric/v1/audit_pb.js";
import { AuthService } from "./gen/memoric/v1/auth_pb.js";
import {
  type EndUser,
  EndUserService,
  type IssueEndUserTokenRequestSchema,
  type IssueEndUserTokenResponse,
  type ListEndUsersRequestSchema,
} from "./gen/memoric/v1/end_users_pb.js";
import {
  type ExportMemoriesRequestSchema,
  type ExportMemoriesResponse,
  type ListMemoriesRequestSchema,
  type Memory,
  MemoryService,
} from "./gen/memoric/v1/memory_pb.js";
import {
  authInterceptor,
  errorInterceptor,
  idempotencyInterceptor,
  type RetryOptions,
  retryInterceptor,
} from "./interceptors.js";
import { type MemoricAuth, Session } from "./session.js";

export type Protocol = "connect" | "grpc" | "grpc-web";

export interface MemoricClientOptions {
  /** e.g. "https://memoric.example.com" (no path). */
  baseUrl: string;
  /** Omitted: anonymous (only Register and Login work). */
  auth?: MemoricAuth;
  /** Default "connect" (HTTP/1.1 or HTTP/2, JSON-free binary); "grpc" needs HTTP/2 (Node only). */
  protocol?: Protocol;
  /** Deadline of each unary call that sets none, in ms. Default 30 000; 0 disables. */
  timeoutMs?: number;
  /** Deadline of each streaming call that sets none (ExportMemories). Default none. */
  streamTimeoutMs?: number;
  retry?: RetryOptions;
  /** Your own interceptors, run inside the client's (they see every attempt). */
  interceptors?: Interceptor[];
}

/** Makes the wire transport; the package entry points (Node, browser) supply one. */
export type TransportFactory = (opts: {
  baseUrl: string;
  protocol: Protocol;
  interceptors: Interceptor[];
}) => Transport;

/** A request's fields without the ones a helper fills in. */
type Fields<S extends DescMessage, K extends string = never> = Omit<
  Exclude<MessageInitShape<S>, MessageShape<S>>,
  "$typeName" | K
>;
type ListMemoriesInit = Fields<typeof ListMemoriesRequestSchema, "pageToken">;
type ExportInit = MessageInitShape<typeof ExportMemoriesRequestSchema>;

export interface MemoryApi extends Client<typeof MemoryService> {
  /** Every memory matching the request, page after page. */
  listAll(request?: ListMemoriesInit, options?: CallOptions): AsyncIterable<Memory>;
  /** ExportMemories as an async iterable (retried and re-authenticated before its first message). */
  exportAll(request?: ExportInit, options?: CallOptions): AsyncIterable<ExportMemoriesResponse>;
}

export interface EndUserHandle {
  readonly endUserId: string;
  /** MemoryService with end_user_id set on every request. */
  readonly memories: MemoryApi;
  /** Creates the end user if unknown (idempotent). */
  ensure(options?: CallOptions): Promise<EndUser>;
  /** A delegated token for a browser or an agent acting for this end user. */
  issueToken(
    request?: Fields<typeof IssueEndUserTokenRequestSchema, "endUserId">,
    options?: CallOptions,
  ): Promise<IssueEndUserTokenResponse>;
  /** Erases the end user and all their memories. */
  erase(options?: CallOptions): ReturnType<Client<typeof EndUserService>["deleteEndUser"]>;
}

export interface MemoricClient {
  readonly auth: Client<typeof AuthService>;
  readonly memories: MemoryApi;
  readonly endUsers: Client<typeof EndUserService> & {
    listAll(request?: Fields<typeof ListEndUsersRequestSchema, "pageToken">): AsyncIterable<EndUser>;
  };
  readonly audit: Client<typeof AuditService>;
  /** The memories of one end user of your product, named by your own id for them. */
  endUser(endUserId: string): EndUserHandle;
  /** The credential state: refreshCount counts token refreshes so far. */
  readonly session: Pick<Session, "refreshCount" | "logout">;
}

export function createMemoricClientWith(factory: TransportFactory, opts: MemoricClientOptions): MemoricClient {
  const protocol = opts.protocol ?? "connect";
  const retry = retryInterceptor(opts.retry);
  // Login and Refresh go out on the same wire without the auth step (they are public).
  const publicTransport = factory({
    baseUrl: opts.baseUrl,
    protocol,
    interceptors: [errorInterceptor, retry, ...(opts.interceptors ?? [])],
  });
  const session = new Session(opts.auth, withDeadlines(createClient(AuthService, publicTransport), opts));
  const transport = factory({
    baseUrl: opts.baseUrl,
    protocol,
    interceptors: [
      errorInterceptor,
      idempotencyInterceptor,
      retry,
      authInterceptor(session),
      ...(opts.interceptors ?? []),
    ],
  });
  const memories = memoryApi(withDeadlines(createClient(MemoryService, transport), opts), undefined);
  const endUsers = withDeadlines(createClient(EndUserService, transport), opts);
  return {
    auth: withDeadlines(createClient(AuthService, transport), opts),
    memories,
    endUsers: Object.assign(Object.create(endUsers) as typeof endUsers, {
      listAll: (request = {}) =>
        pages(async (pageToken) => {
          const res = await endUsers.listEndUsers({ ...request, pageToken });
          return [res.endUsers, res.nextPageToken];
        }),
    }),
    audit: withDeadlines(createClient(AuditService, transport), opts),
    session,
    endUser(endUserId) {
      return {
        endUserId,
        memories: memoryApi(memories, endUserId),
        ensure: async (options) => (await endUsers.createEndUser({ endUserId }, options)).endUser!,
        issueToken: (request = {}, options) => endUsers.issueEndUserToken({ ...request, endUserId }, options),
        erase: (options) => endUsers.deleteEndUser({ endUserId }, options),
      };
    },
  };
}

/** Every method of the client gets the default deadline unless the call sets its own. */
function withDeadlines<S extends DescService>(client: Client<S>, opts: MemoricClientOptions): Client<S> {
  const unary = opts.timeoutMs ?? 30_000;
  const stream = opts.streamTimeoutMs ?? 0;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const fn = Reflect.get(target, prop, receiver) as unknown;
      if (typeof fn !== "function") return fn;
      const streaming = prop === "exportMemories";
      const timeoutMs = streaming ? stream : unary;
      return (request: unknown, options: CallOptions = {}) =>
        fn.call(
          target,
          request,
          timeoutMs > 0 && options.timeoutMs === undefined ? { ...options, timeoutMs } : options,
        );
    },
  });
}

/** The memory client, with end_user_id filled in on every request when scoped to an end user. */
function memoryApi(base: Client<typeof MemoryService>, endUserId: string | undefined): MemoryApi {
  const scoped: Client<typeof MemoryService> =
    endUserId === undefined
      ? base
      : new Proxy(base, {
          get(target, prop, receiver) {
            const fn = Reflect.get(target, prop, receiver) as unknown;
            if (typeof fn !== "function") return fn;
            return (request: object = {}, options?: CallOptions) => fn.call(target, { ...request, endUserId }, options);
          },
        });
  const api = Object.create(scoped) as MemoryApi;
  api.listAll = (request = {}, options) =>
    pages(async (pageToken) => {
      const res = await scoped.listMemories({ ...request, pageToken }, options);
      return [res.memories, res.nextPageToken];
    });
  api.exportAll = (request = {}, options) => scoped.exportMemories(request, options);
  return api;
}

async function* pages<T>(fetchPage: (token: string) => Promise<[T[], string]>): AsyncIterable<T> {
  let token = "";
  do {
    const [items, next] = await fetchPage(token);
    yield* items;
    token = next;
  } while (token !== "");
}
