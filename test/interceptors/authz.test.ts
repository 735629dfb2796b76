/**
 * Spec: an RPC whose `(memoric.v1.access)` option is removed from the proto is denied at run time
 * (PermissionDenied, RPC_NOT_AVAILABLE) by the authorization interceptor, even though its handler
 * exists and the same RPC was public with the option; its neighbours keep their rules.
 */
import { hasOption } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { access } from "../../gen/memoric/v1/options_pb.js";
import { policiesFromOptions } from "../../src/domain/access-rules.js";
import { authzInterceptor } from "../../src/interceptors/authz.js";
import { authServiceWith } from "../support/descriptors.js";

async function codeOf(call: Promise<unknown>): Promise<{ code: Code | "OK"; reason?: string }> {
  try {
    await call;
    return { code: "OK" };
  } catch (err) {
    const ce = ConnectError.from(err);
    return { code: ce.code, reason: ce.findDetails(ErrorInfoSchema)[0]?.reason };
  }
}

describe("an RPC without its access option", () => {
  it("is PermissionDenied at run time, while the RPCs that keep theirs answer as before", async () => {
    const service = authServiceWith({ Register: undefined });
    expect(hasOption(service.method.register, access)).toBe(false);
    expect(hasOption(service.method.login, access)).toBe(true);

    const handled: string[] = [];
    const transport = createRouterTransport(
      (router) =>
        router.service(service, {
          register: () => (handled.push("register"), {}),
          login: () => (handled.push("login"), {}),
          getCurrentUser: () => (handled.push("getCurrentUser"), {}),
        }),
      { router: { interceptors: [authzInterceptor(policiesFromOptions([service]))] } },
    );
    const client = createClient(service, transport);

    expect(await codeOf(client.register({}))).toEqual({ code: Code.PermissionDenied, reason: "RPC_NOT_AVAILABLE" });
    expect(await codeOf(client.login({}))).toEqual({ code: "OK" });
    const unauthenticated = { code: Code.Unauthenticated, reason: "CREDENTIAL_MISSING" };
    expect(await codeOf(client.getCurrentUser({}))).toEqual(unauthenticated);
    expect(handled).toEqual(["login"]);
  });

  it("is served as before with the option in place (the same harness, nothing removed)", async () => {
    const service = authServiceWith({});
    const transport = createRouterTransport((router) => router.service(service, { register: () => ({}) }), {
      router: { interceptors: [authzInterceptor(policiesFromOptions([service]))] },
    });
    expect(await codeOf(createClient(service, transport).register({}))).toEqual({ code: "OK" });
  });
});
