/**
 * A small OpenAI-compatible embedding server for tests and `npm run eval`/`npm run bench`: POST
 * /v1/embeddings answers deterministic vectors (hashed character trigrams of the lower-cased text,
 * so texts sharing spelling point alike). It has NO semantic quality: no test may claim retrieval
 * quality from it. It records requests (batch sizes, authorization headers) and can be switched into
 * failure modes: down (connections reset), 500, 429 (with Retry-After), slow (delayMs), wrong_dims,
 * garbage (not JSON).
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

type EmbeddingMode = "ok" | "down" | "500" | "429" | "slow" | "wrong_dims" | "garbage";

export interface EmbeddingServer {
  url: string;
  dims: number;
  mode: EmbeddingMode;
  /** For "slow": how long each answer waits. */
  delayMs: number;
  /** Fail this many requests (with `mode`), then answer normally; Infinity: stay in mode. */
  failures: number;
  /** Requests received (whatever their outcome), and the batch size of each. */
  requests: number;
  batchSizes: number[];
  authorizations: (string | undefined)[];
  /** The `dimensions` field of each request (undefined when absent); when set, vectors have that length. */
  dimensionsAsked: (number | undefined)[];
  /** The vector this server answers for a text (what a client-side test can compare with). */
  vectorOf(text: string): number[];
  close(): Promise<void>;
}

function trigramVector(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  const s = `  ${text.toLowerCase()}  `;
  for (let i = 0; i + 3 <= s.length; i++) {
    const h = createHash("sha256")
      .update(s.slice(i, i + 3))
      .digest();
    v[h.readUInt32LE(0) % dims]! += h[4]! & 1 ? 1 : -1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startEmbeddingServer(dims = 64, port = 0): Promise<EmbeddingServer> {
  const state = {
    mode: "ok" as EmbeddingMode,
    delayMs: 0,
    failures: Number.POSITIVE_INFINITY,
    requests: 0,
    batchSizes: [] as number[],
    authorizations: [] as (string | undefined)[],
    dimensionsAsked: [] as (number | undefined)[],
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (req.method !== "POST" || !req.url?.endsWith("/v1/embeddings")) {
        res.writeHead(404).end();
        return;
      }
      state.requests++;
      state.authorizations.push(req.headers.authorization);
      const { input, dimensions } = JSON.parse(body) as { input: string | string[]; dimensions?: number };
      state.dimensionsAsked.push(dimensions);
      const texts = Array.isArray(input) ? input : [input];
      state.batchSizes.push(texts.length);
      const failing = state.mode !== "ok" && state.failures > 0;
      if (failing && state.mode !== "slow") state.failures--;
      const mode = failing ? state.mode : "ok";
      if (mode === "down") return void req.socket.destroy();
      if (mode === "500") return void res.writeHead(500).end("upstream exploded");
      if (mode === "429") return void res.writeHead(429, { "retry-after": "0" }).end();
      if (mode === "garbage") return void res.writeHead(200, { "content-type": "application/json" }).end("{nope");
      if (mode === "slow") {
        state.failures--;
        await new Promise((r) => setTimeout(r, state.delayMs));
      }
      const n = (dimensions ?? dims) + (mode === "wrong_dims" ? 1 : 0);
      const data = texts.map((t, index) => ({ object: "embedding", index, embedding: trigramVector(t, n) }));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data, model: "trigram-test", usage: { prompt_tokens: 0 } }));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  const api: EmbeddingServer = {
    url: `http://127.0.0.1:${bound}/v1`,
    dims,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms) {
      state.delayMs = ms;
    },
    get failures() {
      return state.failures;
    },
    set failures(n) {
      state.failures = n;
    },
    get requests() {
      return state.requests;
    },
    get batchSizes() {
      return state.batchSizes;
    },
    get authorizations() {
      return state.authorizations;
    },
    get dimensionsAsked() {
      return state.dimensionsAsked;
    },
    vectorOf: (text) => trigramVector(text, dims),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
