/** Merges a service's one-file-per-RPC handlers into the implementation the router registers. */
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";

/** Fails at start-up, not per call, when an RPC of `service` has no handler or two. */
export function mergeRoutes<S extends DescService>(service: S, parts: Partial<ServiceImpl<S>>[]): ServiceImpl<S> {
  const impl: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [name, handler] of Object.entries(part)) {
      if (name in impl) throw new Error(`${service.typeName}.${name} is implemented twice`);
      impl[name] = handler;
    }
  }
  const missing = service.methods.filter((m) => !(m.localName in impl)).map((m) => m.name);
  if (missing.length > 0) throw new Error(`${service.typeName} has no handler for ${missing.join(", ")}`);
  return impl as ServiceImpl<S>;
}
