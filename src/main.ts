/** Entry point: `npm start`. Configuration errors stop the process with a message naming the variable. */
import v8 from "node:v8";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server/app.js";

// V8 sizes the old generation after each full collection as live × a factor it picks from how fast it
// collects, up to 4×; on a large machine nothing pushes back, so a server with ~50 MB of live objects
// carried ~150 MB more of dead ones under load (RSS over 300 MB). 1.5× keeps that headroom small and
// costs a few more (concurrent, incremental) full collections. An operator's own `node
// --heap-growing-percent=N` wins.
if (!process.execArgv.some((a) => a.startsWith("--heap-growing-percent") || a.startsWith("--heap_growing_percent")))
  v8.setFlagsFromString("--heap-growing-percent=50");

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
