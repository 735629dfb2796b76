/**
 * The browser console at /console/ on the public port: static files under strict headers. A built
 * server (node dist/main.js) serves dist/public/console/ as `npm run build` wrote it; a server running
 * from source builds the console in memory on the first request (memoised per process), so a fresh
 * checkout serves it too and tests that never open it pay nothing.
 *
 * Hashed assets are cached for a year (immutable); index.html and the icon are revalidated on every
 * load (no-cache), so a new build is picked up at once. Every response carries the CSP (scripts and
 * styles from this origin only, calls to this origin only, no framing) and the companion headers.
 */
import fs from "node:fs";
import type http from "node:http";
import type http2 from "node:http2";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../logger.js";
import { overlay } from "../domain/objects.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

const CONSOLE_PATH = "/console/";

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

type Files = ReadonlyMap<string, Uint8Array>;

const fromSource = import.meta.url.endsWith(".ts");
let loaded: Promise<Files> | undefined;

/** The console's files by name ("index.html", "assets/app-<hash>.js", ...). */
function consoleFiles(): Promise<Files> {
  loaded ??= (async () => {
    if (fromSource) {
      const { buildConsole } = await import("./console-build.js");
      return new Map((await buildConsole()).map((f) => [f.name, f.contents]));
    }
    const dir = fileURLToPath(new URL("../../public/console/", import.meta.url));
    const files = new Map<string, Uint8Array>();
    const walk = (sub: string) => {
      for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
        const name = sub ? `${sub}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(name);
        else files.set(name, fs.readFileSync(path.join(dir, name)));
      }
    };
    walk("");
    return files;
  })();
  return loaded;
}

function send(
  res: Res,
  method: string | undefined,
  status: number,
  headers: Record<string, string>,
  body?: Uint8Array,
) {
  res.statusCode = status;
  for (const [k, v] of Object.entries(overlay(SECURITY_HEADERS, headers))) res.setHeader(k, v);
  if (body && method !== "HEAD") res.end(body);
  else res.end();
}

/** Returns true when the request was for the console and has been (or is being) answered. */
export function createConsoleHandler(logger: Logger) {
  return function handleConsole(req: Req, res: Res): boolean {
    const urlPath = (req.url ?? "/").split("?")[0] ?? "/";
    if (urlPath !== "/console" && !urlPath.startsWith(CONSOLE_PATH)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, req.method, 405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      return true;
    }
    if (urlPath === "/console") {
      send(res, req.method, 308, { Location: CONSOLE_PATH, "Cache-Control": "no-store" });
      return true;
    }
    const name = urlPath === CONSOLE_PATH ? "index.html" : urlPath.slice(CONSOLE_PATH.length);
    consoleFiles().then(
      (files) => {
        const body = files.get(name);
        if (!body) {
          send(res, req.method, 404, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
          return;
        }
        const cache = name.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache";
        const type = TYPES[path.extname(name)] ?? "application/octet-stream";
        send(res, req.method, 200, { "Content-Type": type, "Cache-Control": cache }, body);
      },
      (err: unknown) => {
        loaded = undefined; // a later request may succeed (e.g. once `npm run build` has written the files)
        logger.error({ err: err instanceof Error ? err.message : String(err) }, "console: files unavailable");
        send(res, req.method, 503, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
      },
    );
    return true;
  };
}
