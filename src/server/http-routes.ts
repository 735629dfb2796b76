/**
 * Plain HTTP routes beside the RPCs: probes for load balancers and humans, and service info on
 * the public port (the seed's /health, /ready and / stay as aliases); detailed health and
 * Prometheus metrics on the admin listener only (they describe the host, not the service's API).
 */
import fs from "node:fs";
import type http from "node:http";
import type http2 from "node:http2";
import os from "node:os";
import v8 from "node:v8";
import type { Config } from "../config.js";
import type { HealthRegistry } from "../domain/health-registry.js";
import type { Registry } from "prom-client";
import type { AdmissionStats } from "../store/admission.js";
import { SERVICE_NAME, SERVICE_VERSION } from "../version.js";
import type { DbMonitor } from "./db-monitor.js";
import { overlay } from "../domain/objects.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export interface HttpRouteDeps {
  config: Config;
  registry: HealthRegistry;
  dbMonitor: DbMonitor;
  databaseMode: string;
  poolMax: number;
  serviceNames: readonly string[];
  startedAt: Date;
  /** Extra GET routes contributed by other modules (e.g. the JWKS document). */
  extraRoutes?: ReadonlyMap<string, () => unknown>;
  /** Database admission (store/admission.ts), reported under checks.database.pool. */
  pool?: { stats(): AdmissionStats };
}

export interface AdminRouteDeps extends HttpRouteDeps {
  /** Served as Prometheus text on /metrics. */
  metrics: Registry;
}

type CheckStatus = "ok" | "warn" | "fail";

function sendJson(res: Res, status: number, body: unknown, method: string | undefined): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  if (method === "HEAD") res.end();
  else res.end(text);
}

type Route = (req: Req, res: Res) => void;

/** Returns true when the request was a plain HTTP route and has been answered. */
function dispatch(routes: ReadonlyMap<string, Route>) {
  return function handleHttpRoute(req: Req, res: Res): boolean {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes.get(path);
    if (!route) return false;
    route(req, res);
    return true;
  };
}

function detailed(deps: HttpRouteDeps) {
  const { config, dbMonitor } = deps;
  const db = dbMonitor.last;
  // A saturated pool is a warning here, never a readiness failure: every replica of a loaded service
  // is saturated at once, and taking them all out of rotation would turn overload into an outage.
  const pool = deps.pool?.stats();
  const slow = (db.latencyMs ?? 0) > config.health.maxDbLatencyMs;
  const dbStatus: CheckStatus = !db.ok ? "fail" : slow || pool?.saturated ? "warn" : "ok";
  const poolReport = pool
    ? overlay(pool, { state: pool.saturated ? "saturated" : "ok", saturatedSince: pool.saturatedSince?.toISOString() })
    : {};

  const heap = v8.getHeapStatistics();
  const heapRatio = heap.used_heap_size / heap.heap_size_limit;
  const memStatus: CheckStatus = heapRatio > config.health.maxHeapRatio ? "warn" : "ok";

  let disk: { status: CheckStatus; freeBytes?: number; totalBytes?: number; path: string } = {
    status: "warn",
    path: config.dataDir,
  };
  try {
    const target = fs.existsSync(config.dataDir) ? config.dataDir : process.cwd();
    const s = fs.statfsSync(target);
    const freeBytes = s.bavail * s.bsize;
    disk = {
      status: freeBytes < config.health.minFreeDiskBytes ? "warn" : "ok",
      freeBytes,
      totalBytes: s.blocks * s.bsize,
      path: target,
    };
  } catch {
    // statfs can fail on exotic filesystems; report it as a warning rather than failing the probe.
  }

  const cores = os.cpus().length || 1;
  const load1 = os.loadavg()[0] ?? 0;
  const cpuStatus: CheckStatus = load1 / cores > 2 ? "warn" : "ok";

  const checks = {
    database: {
      status: dbStatus,
      mode: deps.databaseMode,
      latencyMs: db.latencyMs,
      checkedAt: db.checkedAt.toISOString(),
      pool: { max: deps.poolMax, ...poolReport },
      error: db.error,
    },
    memory: {
      status: memStatus,
      rssBytes: process.memoryUsage().rss,
      heapUsedBytes: heap.used_heap_size,
      heapLimitBytes: heap.heap_size_limit,
      heapRatio,
    },
    disk,
    cpu: { status: cpuStatus, cores, load1, processCpuMicros: process.cpuUsage() },
  };
  const statuses = Object.values(checks).map((c) => c.status);
  const status: CheckStatus = statuses.includes("fail") ? "fail" : statuses.includes("warn") ? "warn" : "ok";
  return {
    status,
    version: SERVICE_VERSION,
    uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
    checks,
  };
}

export function createHttpRoutes(deps: HttpRouteDeps) {
  const ready = () => deps.registry.get("readiness") === "SERVING";
  const live = () => deps.registry.get("liveness") === "SERVING";
  const routes = new Map<string, Route>([
    [
      "/healthz",
      (req, res) => sendJson(res, live() ? 200 : 503, { status: live() ? "ok" : "shutting_down" }, req.method),
    ],
    [
      "/readyz",
      (req, res) => sendJson(res, ready() ? 200 : 503, { status: ready() ? "ready" : "not_ready" }, req.method),
    ],
    [
      "/",
      (req, res) =>
        sendJson(
          res,
          200,
          {
            name: SERVICE_NAME,
            version: SERVICE_VERSION,
            services: deps.serviceNames,
            protocols: ["grpc", "grpc-web", "connect"],
            health: "/healthz",
            readiness: "/readyz",
            ...(deps.config.console ? { console: "/console/" } : {}),
          },
          req.method,
        ),
    ],
  ]);
  routes.set("/health", routes.get("/healthz")!);
  routes.set("/ready", routes.get("/readyz")!);
  for (const [path, body] of deps.extraRoutes ?? [])
    routes.set(path, (req, res) => sendJson(res, 200, body(), req.method));
  return dispatch(routes);
}

/** The admin listener's routes: detailed health and metrics, plus the probes (handy for humans there). */
export function createAdminRoutes(deps: AdminRouteDeps) {
  const { metrics: registry } = deps;
  const publicRoutes = createHttpRoutes(overlay(deps, { extraRoutes: undefined }));
  const routes = new Map<string, Route>([
    [
      "/health/detailed",
      (req, res) => {
        const body = detailed(deps);
        sendJson(res, body.status === "fail" ? 503 : 200, body, req.method);
      },
    ],
    [
      "/metrics",
      (req, res) => {
        registry.metrics().then(
          (text) => {
            res.statusCode = 200;
            res.setHeader("Content-Type", registry.contentType);
            res.setHeader("Cache-Control", "no-store");
            if (req.method === "HEAD") res.end();
            else res.end(text);
          },
          () => {
            res.statusCode = 500;
            res.end();
          },
        );
      },
    ],
  ]);
  const handleAdmin = dispatch(routes);
  return (req: Req, res: Res): boolean => handleAdmin(req, res) || publicRoutes(req, res);
}
