/**
 * The admin listener (MEMORIC_ADMIN_PORT): /metrics and /health/detailed, on a port of its own so
 * the public port serves only RPCs and the liveness/readiness probes, and a network policy can keep
 * the admin port to the scraper. Plain HTTP/1.1, GET/HEAD only, no credentials: it is reached from
 * inside the cluster (TLS, if any, is terminated in front).
 */
import http from "node:http";
import type net from "node:net";
import type { Logger } from "../logger.js";

export interface AdminListener {
  readonly port: number;
  /** Stops accepting and closes every connection (scrapes hold keep-alive ones open). */
  close(): Promise<void>;
}

export async function startAdminListener(opts: {
  host: string;
  port: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Returns true when it answered the request. */
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  logger: Logger;
}): Promise<AdminListener> {
  const server = http.createServer(
    { headersTimeout: opts.headersTimeoutMs, requestTimeout: opts.requestTimeoutMs, keepAliveTimeout: 5_000 },
    (req, res) => {
      if (opts.handle(req, res)) return;
      res.statusCode = 404;
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      const message = "admin endpoints: /metrics, /health/detailed, /healthz, /readyz";
      res.end(JSON.stringify({ code: "not_found", message }));
    },
  );
  server.on("clientError", (_err, socket: net.Socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
