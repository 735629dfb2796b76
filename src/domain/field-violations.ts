/**
 * Invalid requests answered the way gRPC clients expect: InvalidArgument carrying a
 * google.rpc.BadRequest with one field violation per problem, and a message listing them all.
 * Validators that check several fields collect into a FieldViolations so the caller learns every
 * problem in one round trip instead of fixing them one at a time.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, type BadRequest_FieldViolation } from "../../gen/google/rpc/error_details_pb.js";

export interface FieldViolation {
  /** The field's path in the request, proto names (e.g. "memories[2].thread_id"). */
  field: string;
  description: string;
}

/** One InvalidArgument for all `violations` (at least one). */
export function badRequest(violations: readonly FieldViolation[]): ConnectError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  const fieldViolations = violations.map((v) => ({ field: v.field, description: v.description }));
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations }) },
  ]);
}

/** InvalidArgument for one field. */
export function invalidField(field: string, description: string): ConnectError {
  return badRequest([{ field, description }]);
}

/** The field violations an error carries (from badRequest/invalidField), or none. */
export function violationsOf(err: unknown): BadRequest_FieldViolation[] {
  if (!(err instanceof ConnectError) || err.code !== Code.InvalidArgument) return [];
  type Shape = { fieldViolations: BadRequest_FieldViolation[] };
  return err.details.flatMap((d) =>
    "desc" in d && d.desc === BadRequestSchema ? (d.value as Shape).fieldViolations : [],
  );
}

export class FieldViolations {
  private readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  /**
   * Runs one field's validator; a field violation it throws is recorded and undefined returned
   * (the caller must call throwIfAny() before using the result). Anything else propagates.
   */
  check<T>(validate: () => T): T {
    try {
      return validate();
    } catch (err) {
      const found = violationsOf(err);
      if (found.length === 0) throw err;
      for (const v of found) this.add(v.field, v.description);
      return undefined as T;
    }
  }

  get size(): number {
    return this.list.length;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw badRequest(this.list);
  }
}
