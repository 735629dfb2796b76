/** JSON logs (pino). Secrets never reach a log line: the redact list is the last line of defence. */
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "memoric" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "password",
          "*.password",
          "token",
          "*.token",
          "authorization",
          "*.authorization",
          "content",
          "*.content",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
