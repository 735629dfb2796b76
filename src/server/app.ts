/**
 * Assembles the server: database + migrations, health, the connect router with every served
 * service, plain HTTP routes, CORS, and the one listener. stop() drains gracefully.
 */
import type { DescService } from "@bufbuild/protobuf";
import { createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import http from "node:http";
import http2 from "node:http2";
import v8 from "node:v8";
import vm from "node:vm";
import type net from "node:net";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { EndUserService } from "../../gen/memoric/v1/end_users_pb.js";
import type { Config } from "../config.js";
import { HealthRegistry } from "../domain/health-registry.js";
import { authnInterceptor } from "../interceptors/authn.js";
import { authzInterceptor } from "../interceptors/authz.js";
import { auditInterceptor } from "../interceptors/audit.js";
import { deadlineInterceptor } from "../interceptors/deadline.js";
import { errorInterceptor } from "../interceptors/errors.js";
import { metricsInterceptor } from "../interceptors/metrics.js";
import { rateLimitInterceptor } from "../interceptors/rate-limit.js";
import { clientAddressKey, requestIdFrom, requestIdKey, userAgentKey } from "../interceptors/request-context.js";
import type { Logger } from "../logger.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { OpenAiEmbeddings } from "../embeddings/provider.js";
import { startEmbeddingBackfill } from "../jobs/embedding-backfill.js";
import { VectorCache } from "../store/memory-vectors.js";
import { clientAddress } from "../security/client-address.js";
import { resolveSecrets } from "../security/deployment-secrets.js";
import { createTokenService } from "../security/tokens.js";
import { auditService } from "../services/audit/index.js";
import { authService } from "../services/auth/index.js";
import { healthService } from "../services/health.js";
import { memoryService } from "../services/memory/index.js";
import { endUserService } from "../services/end-users/index.js";
import { createAuditWriter } from "../store/audit-log.js";
import { startAuditJobs } from "../jobs/audit-jobs.js";
import { registerReflection } from "../services/reflection.js";
import { openDatabase, type Database } from "../store/database.js";
import { migrate } from "../store/migrate.js";
import { startAdminListener, type AdminListener } from "./admin.js";
import { createConsoleHandler } from "./console.js";
import { createCorsHandler } from "./cors.js";
import { DbMonitor } from "./db-monitor.js";
import { createAdminRoutes, createHttpRoutes } from "./http-routes.js";
import { registerPoolMetrics } from "./pool-metrics.js";
import { startPolicyScheduler } from "../jobs/policy-scheduler.js";
import { ensureBootstrapAdmin } from "./bootstrap-admin.js";
import type { AppContext } from "../app-context.js";
import type { BackgroundJob } from "../jobs/background-job.js";
import { RevocationCache } from "../security/revocation-cache.js";
import { OwnerKeys } from "../store/owner-keys.js";
import { createProtocolListener } from "./listener.js";
import { parseFailuresAsInvalidArgument, unknownMethod } from "./rpc-errors.js";
import { overlay } from "../domain/objects.js";

const APPLICATION_SERVICES: readonly DescService[] = [AuthService, MemoryService, AuditService, EndUserService];

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  /** The admin listener (/metrics, /health/detailed); undefined when MEMORIC_ADMIN_PORT=off. */
  readonly adminPort: number | undefined;
  readonly adminUrl: string | undefined;
  readonly db: Database;
  readonly registry: HealthRegistry;
  readonly dbMonitor: DbMonitor;
  /** Graceful: NOT_SERVING, stop accepting, finish in-flight calls (bounded), GOAWAY, close the database. */
  stop(): Promise<void>;
}

/**
 * One full collection, once the embedded database is open and migrated. Its first start (initdb and
 * the migrations on PGlite) leaves ~400 MB unreachable that an idle server kept until its next major
 * GC, which an idle server may not run for hours: a new `npm start` sat at ~900 MB RSS, ~540 MB after
 * this. Node offers no other way to ask: --expose-gc set now exposes gc() to contexts created after.
 */
function collectGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

/**
 * Secrets, token service, database (migrated) and audit writer: what both the server and the CLI
 * need. Production refuses to start without its secrets, before touching the database.
 */
export async function openCore(
  config: Config,
  logger: Logger,
  metrics: Metrics = createMetrics(),
): Promise<AppContext> {
  const secrets = await resolveSecrets(config);
  const tokens = await createTokenService(
    overlay(secrets.jwt, {
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      accessTtlSeconds: config.auth.accessTtlSeconds,
      clockSkewSeconds: config.auth.clockSkewSeconds,
    }),
  );
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: config.db.poolMax,
    connectTimeoutMs: config.db.connectTimeoutMs,
    logger,
    limits: config.db,
  });
  try {
    await migrate(db.sql, logger);
    if (db.mode === "embedded") collectGarbage();
  } catch (err) {
    await db.close();
    throw err;
  }
  const audit = createAuditWriter({ sql: db.sql, config: config.audit, logger, metrics });
  const keys = new OwnerKeys(secrets.keyring, metrics);
  const revocations = new RevocationCache(config.auth.revocationCacheMs);
  return { config, logger, db, secrets, tokens, audit, metrics, keys, revocations, ...embeddingParts(config, metrics) };
}

/** The embedding provider (when a URL is configured) and the vector cache (when vectors are on). */
export function embeddingParts(config: Config, metrics: Metrics): Pick<AppContext, "embedder" | "vectors"> {
  const e = config.memory.embeddings;
  return {
    embedder: e.url ? new OpenAiEmbeddings(overlay(e, { url: e.url }), { metrics }) : undefined,
    vectors: e.dimensions > 0 ? new VectorCache(e.cacheBytes) : undefined,
  };
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const startedAt = new Date();
  const deps = await openCore(config, logger, createMetrics({ defaultMetrics: true }));
  const { db, tokens } = deps;
  try {
    await ensureBootstrapAdmin(deps);
  } catch (err) {
    await db.close();
    throw err;
  }
  const jobs: BackgroundJob[] = [startPolicyScheduler(deps), startAuditJobs(deps), startEmbeddingBackfill(deps)];

  const registry = new HealthRegistry();
  const servedNames = [...APPLICATION_SERVICES, Health].map((s) => s.typeName);
  // "" is the server as a whole; it and every service follow the database, like readiness.
  const dependents = ["", "readiness", ...servedNames];
  registry.register(["liveness"], "SERVING");
  registry.register(dependents, "NOT_SERVING");
  const dbMonitor = new DbMonitor(
    db,
    registry,
    dependents,
    { intervalMs: config.db.healthIntervalMs, timeoutMs: config.db.healthTimeoutMs },
    logger,
  );
  await dbMonitor.probe();
  dbMonitor.start();

  if (db.admission) registerPoolMetrics(deps.metrics.registry, db.admission);
  const interceptors: Interceptor[] = [
    metricsInterceptor(deps.metrics), // outermost: records the code the client receives
    errorInterceptor(logger),
    deadlineInterceptor(),
    auditInterceptor(deps), // outside authentication, so denials are recorded too
    authnInterceptor(deps),
    rateLimitInterceptor(deps),
    authzInterceptor(),
  ];
  const routes = (router: ConnectRouter) => {
    router.service(AuthService, authService(deps));
    router.service(MemoryService, memoryService(deps));
    router.service(EndUserService, endUserService(deps));
    router.service(AuditService, auditService(deps));
    router.service(Health, healthService(registry));
    registerReflection(router, [...APPLICATION_SERVICES, Health]);
    parseFailuresAsInvalidArgument(router);
  };
  const rpcHandler = connectNodeAdapter({
    routes,
    interceptors,
    readMaxBytes: config.limits.maxMessageBytes,
    writeMaxBytes: config.limits.maxMessageBytes,
    // connect ignores unknown JSON fields and enum names by default; a typo must not silently become a default.
    jsonOptions: { ignoreUnknownFields: false },
    fallback: unknownMethod,
    contextValues: (req) => {
      const header = req.headers["x-request-id"];
      const ua = req.headers["user-agent"];
      return createContextValues()
        .set(requestIdKey, requestIdFrom(Array.isArray(header) ? header[0] : header))
        .set(
          clientAddressKey,
          clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], config.abuse.trustedProxies),
        )
        .set(userAgentKey, typeof ua === "string" ? ua : "");
    },
  });

  const handleCors = createCorsHandler(config.corsOrigins, logger);
  const handleConsole = config.console ? createConsoleHandler(logger) : () => false;
  const routeDeps = {
    config,
    registry,
    dbMonitor,
    databaseMode: db.mode,
    poolMax: db.poolMax,
    serviceNames: servedNames,
    startedAt,
    pool: db.admission,
  };
  const handleHttpRoute = createHttpRoutes(
    overlay(routeDeps, { extraRoutes: new Map([["/.well-known/jwks.json", () => tokens.jwks() ?? { keys: [] }]]) }),
  );
  const handler = (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    if (handleCors(req, res)) return;
    if (handleHttpRoute(req, res)) return;
    if (handleConsole(req, res)) return;
    rpcHandler(req, res);
  };

  const http1 = http.createServer(
    {
      headersTimeout: config.limits.headersTimeoutMs,
      requestTimeout: config.limits.requestTimeoutMs,
      keepAliveTimeout: 5_000,
      // Node checks those two timeouts on this interval (default 30 s): a stalled request would outlive them.
      connectionsCheckingInterval: Math.min(1_000, config.limits.headersTimeoutMs),
    },
    handler,
  );
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: config.limits.maxConcurrentStreams } }, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    // Without a listener, a session error (e.g. a peer reset) would crash the process.
    session.on("error", (err) => logger.debug({ err: err.message }, "http2 session error"));
  });
  h2.on("sessionError", (err) => logger.debug({ err: err.message }, "http2 session error"));
  http1.on("clientError", (_err, socket: net.Socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  const listener = createProtocolListener(http1, h2, config.limits.headersTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    listener.server.once("error", reject);
    listener.server.listen(config.port, config.host, () => {
      listener.server.off("error", reject);
      resolve();
    });
  });
  // The inner http server never listen()s itself; its request/headers timeout checks start on this event.
  http1.emit("listening");
  const address = listener.server.address() as net.AddressInfo;
  let admin: AdminListener | undefined;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      registry.shutdown();
      dbMonitor.stop();
      const closed = new Promise<void>((resolve) => listener.server.close(() => resolve()));
      for (const session of sessions) session.close(); // GOAWAY; open streams may finish
      http1.closeIdleConnections();
      const drained = (async () => {
        while (listener.sockets.size > 0) {
          http1.closeIdleConnections();
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const grace = new Promise<"timeout">((r) =>
        setTimeout(() => r("timeout"), config.limits.shutdownGraceMs).unref(),
      );
      if ((await Promise.race([drained, grace])) === "timeout") {
        logger.warn({ sockets: listener.sockets.size }, "grace period over, closing remaining connections");
        for (const socket of listener.sockets) socket.destroy();
      }
      await closed;
      await admin?.close(); // scrapes work until the public side has drained
      await Promise.allSettled(jobs.map((job) => job.stop()));
      deps.audit.close();
      http1.close();
      h2.close();
      await db.close();
      logger.info("memoric stopped");
    })());

  if (config.admin.port !== undefined) {
    const { headersTimeoutMs, requestTimeoutMs } = config.limits;
    const { host, port } = config.admin;
    const handle = createAdminRoutes(overlay(routeDeps, { metrics: deps.metrics.registry }));
    try {
      admin = await startAdminListener({ host, port, headersTimeoutMs, requestTimeoutMs, handle, logger });
    } catch (err) {
      await stop();
      throw err;
    }
  }
  logger.info({ port: address.port, adminPort: admin?.port ?? "off", database: db.mode }, "memoric listening");

  const url = `http://127.0.0.1:${address.port}`;
  const adminUrl = admin && `http://127.0.0.1:${admin.port}`;
  return { port: address.port, url, adminPort: admin?.port, adminUrl, db, registry, dbMonitor, stop };
}
