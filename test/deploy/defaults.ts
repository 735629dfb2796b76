/** The configuration defaults the deployment files must agree with, read from src/config.ts. */
import { loadConfig } from "../../src/config.js";

const config = loadConfig({});

/** PORT's default: gRPC, Connect and the liveness/readiness probes. */
export const PUBLIC_PORT: number = config.port;
/** MEMORIC_ADMIN_PORT's default (config.admin.port: /metrics, /health/detailed); 9090 is that default. */
export const ADMIN_PORT: number = (config as { admin?: { port?: number } }).admin?.port ?? 9090;
/** MEMORIC_SHUTDOWN_GRACE_MS's default. */
export const SHUTDOWN_GRACE_MS: number = config.limits.shutdownGraceMs;
