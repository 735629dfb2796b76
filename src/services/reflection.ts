// gRPC server reflection (grpc.reflection.v1 and v1alpha) for a Connect router.
//
// connect-node has no reflection package, so this answers the reflection stream
// from the descriptors protobuf-es already embeds in generated code. Tools such as
// grpcurl, grpc-js/ghz reflection clients and Postman use this to discover the API
// without local .proto files.
//
// Spec: https://github.com/grpc/grpc/blob/master/doc/server-reflection.md
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import type { DescFile, DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { overlay } from "../domain/objects.js";

type Request = v1.ServerReflectionRequest;
type Response = MessageInitShape<typeof v1.ServerReflectionResponseSchema>;

// google.rpc.Code values used in ErrorResponse.error_code.
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

interface ReflectionIndex {
  /** Full names of every service we answer list_services with. */
  readonly services: readonly string[];
  /** Serialized FileDescriptorProto by proto path, e.g. "memoric/v1/memory.proto". */
  readonly fileBytes: ReadonlyMap<string, Uint8Array>;
  readonly files: ReadonlyMap<string, DescFile>;
  /** Any fully-qualified symbol (type, service, method, field, enum value ...) → defining file. */
  readonly symbols: ReadonlyMap<string, DescFile>;
  /** Extendee full name → extension number → defining file. */
  readonly extensions: ReadonlyMap<string, ReadonlyMap<number, DescFile>>;
}

/**
 * Registers grpc.reflection.v1.ServerReflection and grpc.reflection.v1alpha.ServerReflection
 * on the router. `services` are the services the router serves; both reflection services are
 * added to the list automatically, since they are served too (grpc-go lists itself the same way).
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const index = buildIndex([...services, v1.ServerReflection, v1alpha.ServerReflection]);

  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield answer(index, req);
    },
  });

  // v1alpha is wire-identical to v1 (only the package differs), so rather than duplicating
  // the logic we re-decode the bytes with the other schema. Reflection traffic is rare and small
  // (tens of KB per response), so the extra encode/decode is negligible.
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, req));
        const res = create(v1.ServerReflectionResponseSchema, answer(index, asV1));
        yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, res));
      }
    },
  });
}

function answer(index: ReflectionIndex, req: Request): Response {
  // The spec requires every response to echo the host and the request it answers.
  const base = { validHost: req.host, originalRequest: req };
  const error = (errorCode: number, errorMessage: string): Response =>
    overlay(base, { messageResponse: { case: "errorResponse", value: { errorCode, errorMessage } } });
  const files = (file: DescFile | undefined, what: string): Response =>
    file
      ? overlay(base, {
          messageResponse: {
            case: "fileDescriptorResponse",
            value: { fileDescriptorProto: withDependencies(index, file) },
          },
        })
      : error(NOT_FOUND, `${what} not found`);

  const r = req.messageRequest;
  switch (r.case) {
    case "listServices":
      return overlay(base, {
        messageResponse: { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } },
      });
    case "fileByFilename":
      return files(index.files.get(r.value), `file "${r.value}"`);
    case "fileContainingSymbol":
      return files(index.symbols.get(stripDot(r.value)), `symbol "${r.value}"`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = r.value;
      const file = index.extensions.get(stripDot(containingType))?.get(extensionNumber);
      return files(file, `extension ${extensionNumber} of "${containingType}"`);
    }
    case "allExtensionNumbersOfType": {
      const type = stripDot(r.value);
      // A known message with no extensions is a valid, empty answer; an unknown type is not.
      if (!index.symbols.has(type)) return error(NOT_FOUND, `type "${r.value}" not found`);
      const numbers = [...(index.extensions.get(type)?.keys() ?? [])].sort((a, b) => a - b);
      return overlay(base, {
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: type, extensionNumber: numbers },
        },
      });
    }
    default:
      // Unset (or a request kind from a newer spec): answer instead of killing the stream.
      return error(INVALID_ARGUMENT, "message_request not set or not supported");
  }
}

/**
 * The requested file first (clients such as grpcurl treat element 0 as "the" answer), then all
 * transitive imports. We always send the full closure rather than tracking what was already sent
 * on the stream: it keeps the handler stateless and every response self-contained, and the
 * spec explicitly allows repeats.
 */
function withDependencies(index: ReflectionIndex, root: DescFile): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  const queue = [root];
  for (let file = queue.shift(); file; file = queue.shift()) {
    if (seen.has(file.proto.name)) continue;
    seen.add(file.proto.name);
    const bytes = index.fileBytes.get(file.proto.name);
    if (bytes) out.push(bytes);
    queue.push(...file.dependencies);
  }
  return out;
}

function buildIndex(services: readonly DescService[]): ReflectionIndex {
  const files = new Map<string, DescFile>();
  const fileBytes = new Map<string, Uint8Array>();
  const symbols = new Map<string, DescFile>();
  const extensions = new Map<string, Map<number, DescFile>>();

  const addFile = (file: DescFile): void => {
    // Key by proto path: DescFile.name drops the ".proto" suffix, but clients ask for the
    // path exactly as it appears in FileDescriptorProto.dependency.
    const path = file.proto.name;
    if (files.has(path)) return;
    files.set(path, file);
    // file.proto is what the generated code hydrated: protobuf-es strips json_name,
    // dependency and source info when embedding, and fileDesc() restores json_name and
    // dependency (from the imported GenFiles' own names), so names line up with the files
    // we serve under those names. Missing source info only means no comments in tools.
    fileBytes.set(path, toBinary(FileDescriptorProtoSchema, file.proto));
    file.dependencies.forEach(addFile);

    for (const desc of nestedTypes(file)) {
      symbols.set(desc.typeName, file);
      switch (desc.kind) {
        case "service":
          for (const m of desc.methods) symbols.set(`${desc.typeName}.${m.name}`, file);
          break;
        case "message":
          for (const f of desc.fields) symbols.set(`${desc.typeName}.${f.name}`, file);
          for (const o of desc.oneofs) symbols.set(`${desc.typeName}.${o.name}`, file);
          break;
        case "enum": {
          // Enum values are scoped like siblings of their enum (C++ scoping rules).
          const scope = desc.parent?.typeName ?? file.proto.package;
          for (const v of desc.values) symbols.set(scope ? `${scope}.${v.name}` : v.name, file);
          break;
        }
        case "extension": {
          const byNumber = extensions.get(desc.extendee.typeName) ?? new Map<number, DescFile>();
          byNumber.set(desc.number, file);
          extensions.set(desc.extendee.typeName, byNumber);
          break;
        }
      }
    }
  };

  const names = new Set<string>();
  for (const service of services) {
    names.add(service.typeName);
    addFile(service.file);
  }
  return { services: [...names].sort(), files, fileBytes, symbols, extensions };
}

/** Clients may send a leading dot (".pkg.Type", as in FieldDescriptorProto.type_name). */
function stripDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}
