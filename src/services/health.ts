/**
 * grpc.health.v1.Health with the standard semantics: Check answers NOT_FOUND for an unknown name,
 * Watch answers SERVICE_UNKNOWN (and keeps watching), List returns every registered name. Public.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
  type HealthCheckResponse,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthRegistry, ServingStatus } from "../domain/health-registry.js";

function toProto(status: ServingStatus | undefined): Status {
  if (status === undefined) return Status.SERVICE_UNKNOWN;
  return status === "SERVING" ? Status.SERVING : Status.NOT_SERVING;
}

function response(status: ServingStatus | undefined): HealthCheckResponse {
  return create(HealthCheckResponseSchema, { status: toProto(status) });
}

export function healthService(registry: HealthRegistry): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = registry.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      return response(status);
    },
    async *watch(req, ctx) {
      // Changes are queued so none is lost while the previous response is being written.
      const pending: (ServingStatus | undefined)[] = [];
      let wake = () => {};
      const unsubscribe = registry.subscribe(req.service, (status) => {
        pending.push(status);
        wake();
      });
      const onAbort = () => wake();
      ctx.signal.addEventListener("abort", onAbort);
      try {
        let last = toProto(registry.get(req.service));
        yield create(HealthCheckResponseSchema, { status: last });
        while (!ctx.signal.aborted && !registry.shuttingDown) {
          if (pending.length === 0) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          const status = toProto(pending.shift());
          if (status === last) continue;
          last = status;
          yield create(HealthCheckResponseSchema, { status });
        }
        // On shutdown the stream ends after a final NOT_SERVING, so draining is not held up by watchers.
        if (!ctx.signal.aborted && last !== Status.NOT_SERVING) {
          yield create(HealthCheckResponseSchema, { status: Status.NOT_SERVING });
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
    list() {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const name of registry.names()) statuses[name] = response(registry.get(name));
      return { statuses };
    },
  };
}
