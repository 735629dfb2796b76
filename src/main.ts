/** Entry point: `npm start`. Configuration errors stop the process with a message naming the variable. */
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server/app.js";

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
