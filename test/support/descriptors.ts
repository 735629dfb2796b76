import { clone, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type MethodOptions } from "@bufbuild/protobuf/wkt";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";

/**
 * AuthService as the compiler emits it after auth.proto was edited: each named method gets the given
 * options instead of its own (undefined: the method has no options at all, as if deleted from the
 * proto). Built from the real descriptor, so everything not named stays exactly as shipped.
 */
export function authServiceWith(options: Readonly<Record<string, MethodOptions | undefined>>): typeof AuthService {
  const file = clone(FileDescriptorProtoSchema, AuthService.file.proto);
  const service = file.service.find((s) => s.name === AuthService.name);
  for (const [name, replacement] of Object.entries(options)) {
    const method = service?.method.find((m) => m.name === name);
    if (!method) throw new Error(`AuthService has no method ${name}`);
    method.options = replacement;
  }
  const deps = AuthService.file.dependencies;
  const registry = createFileRegistry(file, (name) => deps.find((d) => d.proto.name === name));
  const edited = registry.getService(AuthService.typeName);
  if (!edited) throw new Error("AuthService vanished from its edited file");
  // Same methods and message types as the generated one: only options differ.
  return edited as typeof AuthService;
}
