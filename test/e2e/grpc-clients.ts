/** grpc-js clients used as reference peers by the e2e tests. */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { service as healthServiceDefinition } from "grpc-health-check";

export type GrpcHealthClient = grpc.Client & {
  check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string | number }) => void): void;
  check(
    req: { service: string },
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res: { status: string | number }) => void,
  ): void;
  watch(req: { service: string }): grpc.ClientReadableStream<{ status: string | number }>;
};

/** A Health client from grpc-health-check's own exported service definition. */
export function grpcHealthClient(port: number): GrpcHealthClient {
  const Ctor = grpc.makeClientConstructor(healthServiceDefinition, "grpc.health.v1.Health");
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as GrpcHealthClient;
}

export function grpcCheck(client: GrpcHealthClient, service: string): Promise<string | number> {
  return new Promise((resolve, reject) =>
    client.check({ service }, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res.status))),
  );
}

const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));

/** A unary call of a memoric.v1 service from grpc-js, with a bearer credential; rejects with the ServiceError. */
export type GrpcUnary = (method: string, request: object) => Promise<Record<string, unknown>>;

/**
 * A grpc-js client of one memoric.v1 service, loaded from the .proto sources by @grpc/proto-loader
 * (camelCase fields, enums as names, int64 as strings), sending `authorization: Bearer <credential>`.
 */
export function grpcMemoricClient(
  port: number,
  file: string,
  service: string,
  credential: string,
): { call: GrpcUnary; stream: (method: string, request: object) => Promise<unknown[]>; close(): void } {
  const definition = protoLoader.loadSync(`memoric/v1/${file}`, {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const v1 = ((grpc.loadPackageDefinition(definition).memoric as grpc.GrpcObject).v1 as grpc.GrpcObject)[
    service
  ] as grpc.ServiceClientConstructor;
  const client = new v1(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = () => {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${credential}`);
    return md;
  };
  const methods = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  return {
    call: (method, request) =>
      new Promise((resolve, reject) =>
        methods[method]!.call(
          client,
          request,
          metadata(),
          { deadline: Date.now() + 10_000 },
          (err: grpc.ServiceError | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res)),
        ),
      ),
    stream: (method, request) =>
      new Promise((resolve, reject) => {
        const out: unknown[] = [];
        const call = methods[method]!.call(client, request, metadata()) as grpc.ClientReadableStream<unknown>;
        call.on("data", (m) => out.push(m));
        call.on("error", reject);
        call.on("end", () => resolve(out));
      }),
    close: () => client.close(),
  };
}
