/**
 * @memoric/client for browsers (the "browser" export condition): Connect and gRPC-Web over fetch.
 * The server must allow the page's origin (MEMORIC_CORS_ORIGINS).
 */
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  createMemoricClientWith,
  type MemoricClient,
  type MemoricClientOptions,
  type TransportFactory,
} from "./core.js";

export * from "./exports.js";

const browserTransport: TransportFactory = ({ baseUrl, protocol, interceptors }) => {
  switch (protocol) {
    case "grpc":
      throw new Error(
        'protocol "grpc" needs HTTP/2 trailers, which browsers do not expose: use "connect" or "grpc-web"',
      );
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, interceptors });
    default:
      return createConnectTransport({ baseUrl, interceptors });
  }
};

export function createMemoricClient(opts: MemoricClientOptions): MemoricClient {
  return createMemoricClientWith(browserTransport, opts);
}
