// Drives registerReflection with a real @grpc/grpc-js client (the kind of client grpcurl-like
// tools use) over h2c, for both grpc.reflection.v1 and v1alpha, and checks that the returned
// FileDescriptorProtos are complete enough to rebuild the services and call them.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  create,
  createFileRegistry,
  fromBinary,
  toBinary,
  type DescService,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { registerReflection } from "../../src/services/reflection.js";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";

const SERVED: DescService[] = [AuthService, MemoryService, AuditService, Health];
const EXPECTED_SERVICES = [
  ...SERVED.map((s) => s.typeName),
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
].sort();
const HOST = "memoric.test";

// Shapes as produced by proto-loader with keepCase/oneofs/arrays (see loadSync options below).
interface ReflectionResponse {
  valid_host: string;
  original_request: Record<string, unknown>;
  message_response: string;
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  list_services_response?: { service: { name: string }[] };
  all_extension_numbers_response?: { base_type_name: string; extension_number: number[] };
  error_response?: { error_code: number; error_message: string };
}

/** One reflection stream; ask() writes a request and resolves with the next response. */
class ReflectionStream {
  private readonly call: grpc.ClientDuplexStream<object, ReflectionResponse>;
  private readonly waiting: { resolve: (r: ReflectionResponse) => void; reject: (e: Error) => void }[] = [];
  readonly status: Promise<grpc.StatusObject>;

  constructor(client: grpc.Client) {
    const method = (client as unknown as Record<string, () => grpc.ClientDuplexStream<object, ReflectionResponse>>)
      .ServerReflectionInfo!;
    this.call = method.call(client);
    this.call.on("data", (r: ReflectionResponse) => this.waiting.shift()?.resolve(r));
    this.call.on("error", (e: Error) => this.waiting.splice(0).forEach((w) => w.reject(e)));
    this.status = new Promise((resolve) => this.call.on("status", resolve));
  }

  ask(request: Record<string, unknown>): Promise<ReflectionResponse> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.call.write({ host: HOST, ...request });
    });
  }

  async close(): Promise<grpc.StatusObject> {
    this.call.end();
    return this.status;
  }
}

function protosOf(res: ReflectionResponse): FileDescriptorProto[] {
  expect(res.message_response).toBe("file_descriptor_response");
  return res.file_descriptor_response!.file_descriptor_proto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

/** Rebuild descriptors from a response alone: throws if any import is missing from it. */
function registryOf(protos: FileDescriptorProto[]): FileRegistry {
  const byName = new Map(protos.map((p) => [p.name, p]));
  return createFileRegistry(protos[0]!, (name) => byName.get(name));
}

let server: http2.Http2Server;
let address: string;
const sessions = new Set<http2.ServerHttp2Session>();
const clients: grpc.Client[] = [];

beforeAll(async () => {
  server = http2.createServer(
    connectNodeAdapter({
      routes: (router) => {
        router.service(AuthService, {});
        router.service(MemoryService, {});
        router.service(AuditService, {});
        router.service(Health, {});
        registerReflection(router, SERVED);
      },
    }),
  );
  server.on("session", (s) => sessions.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  clients.forEach((c) => c.close());
  sessions.forEach((s) => s.destroy());
  await new Promise((resolve) => server.close(resolve));
});

const protoDir = fileURLToPath(new URL("../../proto", import.meta.url));
const reflectionPackage = grpc.loadPackageDefinition(
  protoLoader.loadSync(["grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto"], {
    includeDirs: [protoDir],
    keepCase: true,
    oneofs: true,
    arrays: true,
  }),
);

describe.each(["v1", "v1alpha"])("grpc.reflection.%s.ServerReflection", (version) => {
  let stream: ReflectionStream;

  beforeAll(() => {
    const ns = (reflectionPackage.grpc as grpc.GrpcObject).reflection as grpc.GrpcObject;
    const Client = (ns[version] as grpc.GrpcObject).ServerReflection as grpc.ServiceClientConstructor;
    const client = new Client(address, grpc.credentials.createInsecure());
    clients.push(client);
    stream = new ReflectionStream(client);
  });

  afterAll(async () => {
    expect((await stream.close()).code).toBe(grpc.status.OK);
  });

  it("lists exactly the served services plus both reflection services, echoing host and request", async () => {
    const res = await stream.ask({ list_services: "*" });
    expect(res.message_response).toBe("list_services_response");
    expect(res.list_services_response!.service.map((s) => s.name).sort()).toEqual(EXPECTED_SERVICES);
    expect(res.valid_host).toBe(HOST);
    expect(res.original_request).toMatchObject({ host: HOST, list_services: "*" });
  });

  it("resolves every service and method, with input/output types rebuildable from the response", async () => {
    for (const service of SERVED) {
      const byService = registryOf(protosOf(await stream.ask({ file_containing_symbol: service.typeName })));
      expect(byService.getService(service.typeName)?.methods.map((m) => m.name)).toEqual(
        service.methods.map((m) => m.name),
      );

      for (const method of service.methods) {
        const res = await stream.ask({ file_containing_symbol: `${service.typeName}.${method.name}` });
        const registry = registryOf(protosOf(res));
        const got = registry.getService(service.typeName)?.methods.find((m) => m.name === method.name);
        expect(got, method.name).toBeDefined();
        expect(got!.methodKind).toBe(method.methodKind);
        for (const [mine, theirs] of [
          [got!.input, method.input],
          [got!.output, method.output],
        ] as const) {
          expect(mine.typeName).toBe(theirs.typeName);
          // Resolvable from the returned files, with the same fields and JSON names.
          const msg = registry.getMessage(theirs.typeName);
          expect(msg?.fields.map((f) => [f.name, f.jsonName])).toEqual(theirs.fields.map((f) => [f.name, f.jsonName]));
        }
      }
    }
  });

  it("returns descriptors a grpc-js client can load and call through", async () => {
    const protos = protosOf(await stream.ask({ file_containing_symbol: "grpc.health.v1.Health" }));
    const set = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: protos }));
    const pkg = grpc.loadPackageDefinition(protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(set)));
    const HealthClient = ((pkg.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const client = new (HealthClient.Health as grpc.ServiceClientConstructor)(
      address,
      grpc.credentials.createInsecure(),
    );
    clients.push(client);
    // The empty implementation answers UNIMPLEMENTED, which proves the path and codec worked.
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      (client as unknown as Record<string, (...args: unknown[]) => unknown>).Check!.call(
        client,
        { service: "" },
        (e: grpc.ServiceError | null) => resolve(e),
      ),
    );
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("resolves messages, fields, enums, nested types and enum values", async () => {
    const symbols = [
      "memoric.v1.Memory",
      ".memoric.v1.Memory",
      "memoric.v1.Memory.content",
      "memoric.v1.Importance",
      "memoric.v1.IMPORTANCE_LOW",
      "grpc.health.v1.HealthCheckResponse.ServingStatus",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflectionResponse",
      "google.protobuf.Timestamp",
    ];
    for (const symbol of symbols) {
      const res = await stream.ask({ file_containing_symbol: symbol });
      expect(res.message_response, symbol).toBe("file_descriptor_response");
      expect(() => registryOf(protosOf(res)), symbol).not.toThrow();
    }
  });

  it("serves files by name with all transitive imports, requested file first", async () => {
    const memory = protosOf(await stream.ask({ file_by_filename: "memoric/v1/memory.proto" }));
    expect(memory[0]!.name).toBe("memoric/v1/memory.proto");
    expect(memory[0]!.dependency).toEqual([
      "google/protobuf/duration.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/struct.proto",
      "google/protobuf/timestamp.proto",
      "memoric/v1/options.proto",
    ]);
    // options.proto in turn imports descriptor.proto (the extendee of its method option).
    const transitive = [...memory[0]!.dependency, "google/protobuf/descriptor.proto", "memoric/v1/memory.proto"];
    expect(memory.map((p) => p.name).sort()).toEqual(transitive.sort());
    expect(registryOf(memory).getMessage("memoric.v1.Memory")?.field.createdAt?.message?.typeName).toBe(
      "google.protobuf.Timestamp",
    );

    const timestamp = protosOf(await stream.ask({ file_by_filename: "google/protobuf/timestamp.proto" }));
    expect(timestamp.map((p) => p.name)).toEqual(["google/protobuf/timestamp.proto"]);
    expect(registryOf(timestamp).getMessage("google.protobuf.Timestamp")).toBeDefined();
  });

  it("answers unknown symbols/files with NOT_FOUND and keeps the stream open", async () => {
    const unknown = await stream.ask({ file_containing_symbol: "memoric.v1.NoSuchThing" });
    expect(unknown.message_response).toBe("error_response");
    expect(unknown.error_response!.error_code).toBe(5);
    expect(unknown.error_response!.error_message).toContain("memoric.v1.NoSuchThing");
    expect(unknown.original_request).toMatchObject({ file_containing_symbol: "memoric.v1.NoSuchThing" });

    const missingFile = await stream.ask({ file_by_filename: "nope.proto" });
    expect(missingFile.error_response!.error_code).toBe(5);

    const next = await stream.ask({ list_services: "" });
    expect(next.list_services_response!.service).toHaveLength(EXPECTED_SERVICES.length);
  });

  it("reports no extensions", async () => {
    const ext = await stream.ask({
      file_containing_extension: { containing_type: "memoric.v1.Memory", extension_number: 100 },
    });
    expect(ext.error_response!.error_code).toBe(5);

    const numbers = await stream.ask({ all_extension_numbers_of_type: "memoric.v1.Memory" });
    expect(numbers.message_response).toBe("all_extension_numbers_response");
    expect(numbers.all_extension_numbers_response).toMatchObject({
      base_type_name: "memoric.v1.Memory",
      extension_number: [],
    });

    const unknownType = await stream.ask({ all_extension_numbers_of_type: "memoric.v1.Nope" });
    expect(unknownType.error_response!.error_code).toBe(5);
  });

  it("serves the access-rule method option, so tools can read each RPC's rule", async () => {
    const numbers = await stream.ask({ all_extension_numbers_of_type: "google.protobuf.MethodOptions" });
    expect(numbers.all_extension_numbers_response).toMatchObject({ extension_number: [50001] });
    const file = protosOf(
      await stream.ask({
        file_containing_extension: { containing_type: "google.protobuf.MethodOptions", extension_number: 50001 },
      }),
    );
    expect(file[0]!.name).toBe("memoric/v1/options.proto");
  });
});
