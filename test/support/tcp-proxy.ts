/**
 * A loopback TCP proxy that injects faults between the server and its database:
 * - refuse(): new connections are refused (the port stops listening: ECONNREFUSED); with
 *   { closeExisting: true } open connections are also closed (FIN), as when the database stops;
 * - reset(): every open connection is reset (RST) and so is every new one;
 * - blackhole(): new connections are accepted and open ones stay up, but nothing is forwarded
 *   (bytes are held, as by a partitioned network) until restore();
 * - delay(ms): every chunk is forwarded ms later, both ways;
 * - restore(): back to forwarding; held bytes are delivered, held connections are connected.
 * cut() is refuse({ closeExisting: true }).
 */
import { readFile } from "node:fs/promises";
import net from "node:net";

type ProxyMode = "forward" | "refuse" | "reset" | "blackhole";

export interface TcpProxy {
  port: number;
  readonly mode: ProxyMode;
  /** Connections accepted so far, including those reset at once. */
  readonly accepted: number;
  refuse(opts?: { closeExisting?: boolean }): Promise<void>;
  reset(): void;
  blackhole(): void;
  delay(ms: number): void;
  restore(): Promise<void>;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** Bytes held while blackholed, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

/** Lowest port the proxy picks from; below it sit well-known services (PostgreSQL's 5432...). */
const PRIVATE_PORT_LOW = 20_000;

async function firstEphemeralPort(): Promise<number> {
  try {
    const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    const low = Number(range.trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > PRIVATE_PORT_LOW + 1000) return low;
  } catch {
    // Not Linux: fall back to the IANA dynamic range's start, which BSD and macOS use.
  }
  return 49_152;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = "forward";
  let delayMs = 0;
  let closing = false;
  let accepted = 0;
  const pairs = new Set<Pair>();
  const server = net.createServer(accept);
  const port = await listenOutsideEphemeralRange();

  function listen(p: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(p, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  // refuse() releases the port and restore() takes it back. A port from the kernel's ephemeral range
  // could meanwhile be handed to any other process listening on port 0 (a parallel test's server),
  // and the clients under test would then talk to it. Ports below that range are only ever bound
  // by explicit choice, so another proxy is the only possible taker, and both pick at random.
  async function listenOutsideEphemeralRange(): Promise<number> {
    const ephemeralLow = await firstEphemeralPort();
    for (let attempt = 0; ; attempt++) {
      const candidate = PRIVATE_PORT_LOW + Math.floor(Math.random() * (ephemeralLow - PRIVATE_PORT_LOW));
      try {
        await listen(candidate);
        return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 50) throw err;
      }
    }
  }

  function accept(client: net.Socket): void {
    accepted++;
    if (mode === "reset" || closing) {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined, toUpstream: [], toClient: [] };
    pairs.add(pair);
    client.on("error", () => drop(pair)).on("close", () => drop(pair));
    client.on("data", (chunk: Buffer) => send(pair, "toUpstream", chunk));
    if (mode !== "blackhole") connectUpstream(pair);
  }

  function connectUpstream(pair: Pair): void {
    const upstream = net.connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on("error", () => drop(pair)).on("close", () => drop(pair));
    upstream.on("data", (chunk: Buffer) => send(pair, "toClient", chunk));
    flush(pair);
  }

  function send(pair: Pair, dir: "toUpstream" | "toClient", chunk: Buffer): void {
    if (mode === "blackhole" || !pair.upstream) {
      pair[dir].push(chunk);
      return;
    }
    const target = dir === "toUpstream" ? pair.upstream : pair.client;
    if (delayMs > 0) setTimeout(() => target.destroyed || target.write(chunk), delayMs);
    else target.write(chunk);
  }

  function flush(pair: Pair): void {
    for (const dir of ["toUpstream", "toClient"] as const) {
      const held = pair[dir].splice(0);
      for (const chunk of held) send(pair, dir, chunk);
    }
  }

  function drop(pair: Pair, how: "destroy" | "end" | "reset" = "destroy"): void {
    if (!pairs.delete(pair)) return;
    for (const s of [pair.client, pair.upstream]) {
      if (!s || s.destroyed) continue;
      if (how === "reset") s.resetAndDestroy();
      else if (how === "end") s.end(() => s.destroy());
      else s.destroy();
    }
  }

  function dropAll(how: "destroy" | "end" | "reset"): void {
    for (const pair of [...pairs]) drop(pair, how);
  }

  async function stopListening(): Promise<void> {
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  const proxy: TcpProxy = {
    port,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    async refuse(opts = {}) {
      mode = "refuse";
      if (opts.closeExisting) dropAll("end");
      // server.close() waits for open connections; the listening socket itself closes at once.
      const stopped = stopListening();
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 50))]);
    },
    reset() {
      mode = "reset";
      dropAll("reset");
    },
    blackhole() {
      mode = "blackhole";
    },
    delay(ms) {
      delayMs = ms;
    },
    async restore() {
      const wasListening = server.listening;
      mode = "forward";
      delayMs = 0;
      if (!wasListening) {
        // The port was released by refuse(); take the same one again (retry if briefly busy).
        for (let attempt = 0; ; attempt++) {
          try {
            await listen(port);
            break;
          } catch (err) {
            if (attempt >= 20) throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }
      for (const pair of pairs) {
        if (!pair.upstream) connectUpstream(pair);
        else flush(pair);
      }
    },
    async cut() {
      await proxy.refuse({ closeExisting: true });
      dropAll("destroy");
    },
    async close() {
      closing = true;
      dropAll("destroy");
      await stopListening();
    },
  };
  return proxy;
}
