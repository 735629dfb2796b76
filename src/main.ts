/** Entry point: `npm start`. Configuration errors stop the process with a message naming the variable. */
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server/app.js";
import { v8Default } from "./server/v8-defaults.js";

// V8 sizes the old generation after each full collection as live × a factor it picks from how fast it
// collects, up to 4×; on a large machine nothing pushes back, so a server with ~50 MB of live objects
// carried ~150 MB more of dead ones under load (RSS over 300 MB). 1.5× keeps that headroom small and
// costs a few more (concurrent, incremental) full collections.
v8Default("heap-growing-percent", "--heap-growing-percent=50");
// V8 moves an allocation site to the old generation once most of its objects survive a scavenge. Under
// load a call's objects are still in flight at the scavenge, so sites of per-call objects got tenured;
// their objects then kept the young objects they point to alive until the next full collection. Off:
// 10% -> 7-8% of what GetCurrentUser allocates promoted, a third fewer full collections (docs/operations.md).
v8Default("allocation-site-pretenuring", "--no-allocation-site-pretenuring");

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`memoric: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, logger);
  if (process.stdout.isTTY || config.printBanner) {
    process.stderr.write(
      `\nMemoric is listening on ${server.url} ` +
        `(gRPC, gRPC-Web and Connect on one port; database: ${server.db.mode})\n` +
        `Try: curl -s -X POST ${server.url}/grpc.health.v1.Health/Check ` +
        `-H 'content-type: application/json' -d '{}'\n` +
        (config.console ? `Console: ${server.url}/console/\n\n` : "\n"),
    );
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, "shutting down");
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`memoric: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
