/** grpc-js clients used as reference peers by the e2e tests. */
import * as grpc from "@grpc/grpc-js";
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
