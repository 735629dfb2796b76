/**
 * One port, every protocol: a TCP listener reads the first bytes of each connection. The HTTP/2
 * client preface ("PRI * HTTP/2.0") goes to the http2 server (gRPC, gRPC-Web and Connect over h2c);
 * anything else to the HTTP/1.1 server (Connect, gRPC-Web, plain HTTP routes).
 */
import type http from "node:http";
import type http2 from "node:http2";
import net from "node:net";

/** Waiting for all of it keeps a client that stalls inside the preface under the first-bytes timeout. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface ProtocolListener {
  readonly server: net.Server;
  /** Every live socket, for draining on shutdown. */
  readonly sockets: ReadonlySet<net.Socket>;
}

export function createProtocolListener(
  http1: http.Server,
  h2: http2.Http2Server,
  firstBytesTimeoutMs: number,
): ProtocolListener {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // A client that connects and never speaks must not hold a socket forever.
    socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && head.length < H2_PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(head);
      if (isH2) {
        // http2 drains the unshifted bytes itself (socket.read()); resuming here would replay them.
        h2.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.resume();
  });
  return { server, sockets };
}
