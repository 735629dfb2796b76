/**
 * @memoric/client for Node.js (20+): Connect and gRPC-Web over HTTP/1.1, gRPC over HTTP/2.
 *
 *   const memoric = createMemoricClient({ baseUrl: "http://localhost:8080", auth: { apiKey } });
 *   await memoric.endUser("user-123").memories.createMemory({ content: "Allergic to peanuts" });
 */
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import {
  createMemoricClientWith,
  type MemoricClient,
  type MemoricClientOptions,
  type TransportFactory,
} from "./core.js";

export * from "./exports.js";

const nodeTransport: TransportFactory = ({ baseUrl, protocol, interceptors }) => {
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
    default:
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
  }
};

export function createMemoricClient(opts: MemoricClientOptions): MemoricClient {
  return createMemoricClientWith(nodeTransport, opts);
}
