/**
 * Spec: every forged, altered, expired, misplaced or malformed credential is answered with exactly
 * Unauthenticated (never Internal), over a real transport. Forgeries are signed with the server's
 * REAL secret wherever that matters, so a rejection proves the check, not a bad signature; a
 * positive control shows the forging helper itself produces tokens the server accepts.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import crypto from "node:crypto";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { hashSecret } from "../../src/security/secrets.js";
import { bearerTransport, registerAndLogin, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";

type Json = Record<string, unknown>;
const b64url = (v: Json | string | Buffer) =>
  Buffer.from(typeof v === "string" || Buffer.isBuffer(v) ? v : JSON.stringify(v)).toString("base64url");
const decodePart = (token: string, i: number) =>
  JSON.parse(Buffer.from(token.split(".")[i]!, "base64url").toString("utf8")) as Json;
const now = () => Math.floor(Date.now() / 1000);

/** Builds a JWT by hand: full control over header, payload and algorithm. */
function forge(header: Json, payload: Json | string, key?: crypto.KeyObject | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const alg = String(header.alg);
  let sig = "";
  if (/^HS(256|384|512)$/.test(alg))
    sig = crypto
      .createHmac(`sha${alg.slice(2)}`, key as Buffer)
      .update(input)
      .digest("base64url");
  else if (alg === "EdDSA") sig = crypto.sign(null, Buffer.from(input), key as crypto.KeyObject).toString("base64url");
  return `${input}.${sig}`;
}

function decodeSecret(value: string): Buffer {
  return value.startsWith("base64:") ? Buffer.from(value.slice(7), "base64") : Buffer.from(value, "utf8");
}

/** The code a GetCurrentUser call with this exact authorization header value gets (undefined = OK). */
async function codeFor(server: TestServer, authorization: string | undefined): Promise<Code | undefined> {
  const client = createClient(AuthService, bearerTransport(server, undefined));
  try {
    await client.getCurrentUser({}, { headers: authorization === undefined ? {} : { authorization } });
    return undefined;
  } catch (err) {
    return ConnectError.from(err).code;
  }
}
const bearer = (token: string) => `Bearer ${token}`;

describe("HS256 server", () => {
  let server: TestServer;
  let alice: TestUser;
  let secret: Buffer;
  let claims: Json;
  const header = { alg: "HS256", typ: "at+jwt" };

  beforeAll(async () => {
    server = await startTestServer({ MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000" });
    alice = await registerAndLogin(server);
    secret = decodeSecret(server.config.secrets.jwtSecret!);
    claims = decodePart(alice.token, 1);
  });
  afterAll(async () => {
    await server?.close();
  });

  const expectRejected = async (token: string) =>
    expect(await codeFor(server, bearer(token))).toBe(Code.Unauthenticated);

  it("accepts its own token, and a hand-forged copy signed with the real secret (positive control)", async () => {
    expect(decodePart(alice.token, 0)).toEqual(header);
    expect(await codeFor(server, bearer(alice.token))).toBeUndefined();
    expect(await codeFor(server, bearer(forge(header, claims, secret)))).toBeUndefined();
    expect(await codeFor(server, `bearer ${alice.token}`)).toBeUndefined(); // the scheme is case-insensitive (RFC 7235)
  });

  it("rejects alg none in any case, with or without a signature", async () => {
    const [, , sig] = alice.token.split(".");
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      const unsigned = forge({ alg, typ: "at+jwt" }, claims);
      await expectRejected(unsigned);
      await expectRejected(`${unsigned}${sig}`);
    }
  });

  it("rejects HS384 and HS512 even when signed with the real secret", async () => {
    for (const alg of ["HS384", "HS512"]) await expectRejected(forge({ alg, typ: "at+jwt" }, claims, secret));
  });

  it("rejects a tampered payload (roles changed to ADMIN, original signature kept)", async () => {
    const [h, , sig] = alice.token.split(".");
    await expectRejected(`${h}.${b64url({ ...claims, roles: ["ADMIN"] })}.${sig}`);
  });

  it("takes roles from the database, not the token: a validly signed token claiming ADMIN stays a USER", async () => {
    const forged = forge(header, { ...claims, roles: ["ADMIN"] }, secret);
    const client = createClient(AuthService, bearerTransport(server, forged));
    const me = await client.getCurrentUser({});
    expect(me.permissions).not.toContain("users:manage");
    await expect(client.listUsers({})).rejects.toMatchObject({ code: Code.PermissionDenied });
  });

  it.each(["sub", "iat", "exp", "jti", "iss", "aud", "roles", "ver", "sid"])(
    "rejects a token without %s (signed with the real secret)",
    async (claim) => {
      const { [claim]: _dropped, ...rest } = claims;
      await expectRejected(forge(header, rest, secret));
    },
  );

  it("rejects a token without the typ header, or with another typ", async () => {
    await expectRejected(forge({ alg: "HS256" }, claims, secret));
    await expectRejected(forge({ alg: "HS256", typ: "JWT" }, claims, secret));
    await expectRejected(forge({ alg: "HS256", typ: "refresh+jwt" }, claims, secret));
  });

  it("rejects ill-typed claims", async () => {
    const bad: Json[] = [
      { sub: 42 },
      { sub: "" },
      { sub: "not-a-uuid" },
      { sub: crypto.randomUUID() }, // a user that does not exist
      { sid: "not-a-uuid" },
      { sid: crypto.randomUUID() }, // a session that does not exist
      { sid: "" },
      { ver: "0" },
      { ver: 1.5 },
      { ver: -1 },
      { ver: (claims.ver as number) + 1 },
      { roles: "ADMIN" },
      { jti: 7 },
      { exp: "never" },
    ];
    for (const change of bad) {
      expect(
        await codeFor(server, bearer(forge(header, { ...claims, ...change }, secret))),
        JSON.stringify(change),
      ).toBe(Code.Unauthenticated);
    }
  });

  it("rejects an expired token, one not yet valid (nbf), and one issued in the future", async () => {
    await expectRejected(forge(header, { ...claims, iat: now() - 7200, exp: now() - 3600 }, secret));
    await expectRejected(forge(header, { ...claims, nbf: now() + 3600 }, secret));
    await expectRejected(forge(header, { ...claims, iat: now() + 3600, exp: now() + 7200 }, secret));
  });

  it("rejects a wrong issuer or audience", async () => {
    await expectRejected(forge(header, { ...claims, iss: "someone-else" }, secret));
    await expectRejected(forge(header, { ...claims, aud: "another-api" }, secret));
    await expectRejected(forge(header, { ...claims, aud: ["another-api"] }, secret));
  });

  it("rejects injected kid, jku, jwk and x5u header parameters", async () => {
    await expectRejected(forge({ ...header, kid: "../../../dev/null" }, claims, secret));
    await expectRejected(forge({ ...header, kid: "" }, claims, secret));
    await expectRejected(forge({ ...header, jku: "http://127.0.0.1:1/jwks.json" }, claims, secret));
    await expectRejected(forge({ ...header, x5u: "http://127.0.0.1:1/cert.pem" }, claims, secret));
    // An attacker's own key, embedded in the header, signing the token.
    const attacker = crypto.generateKeyPairSync("ed25519");
    const jwk = attacker.publicKey.export({ format: "jwk" });
    await expectRejected(forge({ alg: "EdDSA", typ: "at+jwt", jwk }, claims, attacker.privateKey));
    await expectRejected(
      forge(
        { ...header, jwk: { kty: "oct", k: b64url(Buffer.from("attacker-secret-attacker-secret!!")) } },
        claims,
        Buffer.from("attacker-secret-attacker-secret!!"),
      ),
    );
  });

  it("rejects a refresh token or an API key's hash presented as the access token", async () => {
    await expectRejected(alice.refreshToken);
    const { key } = await alice.client(AuthService).createApiKey({ name: "k" });
    expect(await codeFor(server, bearer(key))).toBeUndefined(); // the key itself works…
    await expectRejected(hashSecret(key)); // …its stored hash does not
    await expectRejected(`mk_${hashSecret(key)}`);
  });

  it("ignores a token in the query string (Connect POST and ?access_token=)", async () => {
    for (const query of [
      `access_token=${alice.token}`,
      `authorization=${encodeURIComponent(bearer(alice.token))}`,
      `token=${alice.token}`,
    ]) {
      const res = await fetch(`${server.url}/memoric.v1.AuthService/GetCurrentUser?${query}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status, query).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe("unauthenticated");
    }
    // Connect GET (a side-effect-free call's query-string form) never authenticates either.
    const get = new URLSearchParams({ connect: "v1", encoding: "json", message: "{}", access_token: alice.token });
    const res = await fetch(`${server.url}/memoric.v1.AuthService/GetCurrentUser?${get}`);
    expect(res.ok).toBe(false);
    expect(res.status).not.toBe(500);
  });

  it("ignores a token sent in the request body", async () => {
    const res = await fetch(`${server.url}/memoric.v1.AuthService/GetCurrentUser`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_token: alice.token, authorization: bearer(alice.token) }),
    });
    expect(res.status).not.toBe(200);
    expect(res.status).not.toBe(500);
  });

  it("rejects malformed tokens: bad base64, non-JSON parts, wrong segment counts, oversize", async () => {
    const [h, p, s] = alice.token.split(".");
    const malformed = [
      "a.b.c",
      "..",
      "eyJ!!!.eyJ###.$$$",
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}..${s}`,
      forge(header, "this is not json", secret),
      forge(header, "[1,2,3]", secret),
      forge(header, "null", secret),
      `${b64url("not json")}.${p}.${s}`,
      `${h}.${p}.${s}x`,
      `${h}.${p}.${"A".repeat(20_000)}`,
      "x".repeat(10_000),
      "mk_short",
    ];
    for (const token of malformed)
      expect(await codeFor(server, bearer(token)), token.slice(0, 60)).toBe(Code.Unauthenticated);
  });

  it("rejects other schemes and empty credentials", async () => {
    const basic = `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString("base64")}`;
    for (const value of [
      basic,
      "Bearer",
      "Bearer ",
      "Bearer  ",
      `Token ${alice.token}`,
      `${alice.token}`,
      `Bearer ${alice.token} extra`,
      "Digest username=x",
    ]) {
      expect(await codeFor(server, value), value.slice(0, 40)).toBe(Code.Unauthenticated);
    }
  });

  it("never echoes the presented token in the error", async () => {
    const forged = forge(header, { ...claims, iss: "evil" }, secret);
    const client = createClient(AuthService, bearerTransport(server, forged));
    const err = await client.getCurrentUser({}).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).rawMessage).not.toContain(forged.split(".")[1]!);
  });

  it("publishes no key material in its JWKS (HS256 has nothing public)", async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ keys: [] });
  });
});

describe("Ed25519 server", () => {
  let server: TestServer;
  let alice: TestUser;
  let publicKey: crypto.KeyObject;

  beforeAll(async () => {
    const pair = crypto.generateKeyPairSync("ed25519");
    publicKey = pair.publicKey;
    const pem = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    server = await startTestServer({ MEMORIC_JWT_PRIVATE_KEY: pem, MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000" });
    alice = await registerAndLogin(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("issues EdDSA tokens with its kid, and accepts them", async () => {
    expect(decodePart(alice.token, 0)).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    expect(await codeFor(server, bearer(alice.token))).toBeUndefined();
  });

  it("rejects HS256 tokens signed with its public key (algorithm confusion)", async () => {
    const claims = decodePart(alice.token, 1);
    const { kid } = decodePart(alice.token, 0);
    const jwk = publicKey.export({ format: "jwk" });
    const candidates = [
      Buffer.from(publicKey.export({ format: "pem", type: "spki" }).toString()),
      publicKey.export({ format: "der", type: "spki" }),
      Buffer.from(jwk.x!, "base64url"),
      Buffer.from(jwk.x!),
      Buffer.from(JSON.stringify(jwk)),
    ];
    for (const hmacKey of candidates) {
      for (const h of [
        { alg: "HS256", typ: "at+jwt" },
        { alg: "HS256", typ: "at+jwt", kid },
      ]) {
        expect(await codeFor(server, bearer(forge(h, claims, hmacKey)))).toBe(Code.Unauthenticated);
      }
    }
    expect(await codeFor(server, bearer(forge({ alg: "none", typ: "at+jwt", kid }, claims)))).toBe(
      Code.Unauthenticated,
    );
  });

  it("rejects EdDSA tokens signed by another key, even with its kid", async () => {
    const other = crypto.generateKeyPairSync("ed25519");
    const { kid } = decodePart(alice.token, 0);
    const claims = decodePart(alice.token, 1);
    expect(await codeFor(server, bearer(forge({ alg: "EdDSA", typ: "at+jwt", kid }, claims, other.privateKey)))).toBe(
      Code.Unauthenticated,
    );
  });

  it("publishes its public key at /.well-known/jwks.json (and nothing private)", async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Json[] };
    expect(keys).toHaveLength(1);
    const expected = publicKey.export({ format: "jwk" });
    expect(keys[0]).toMatchObject({
      kty: "OKP",
      crv: "Ed25519",
      x: expected.x,
      alg: "EdDSA",
      use: "sig",
      kid: decodePart(alice.token, 0).kid,
    });
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("issues tokens another service can verify against that JWKS with jose", async () => {
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(alice.token, jwks, {
      issuer: server.config.auth.issuer,
      audience: server.config.auth.audience,
      typ: "at+jwt",
      algorithms: ["EdDSA"],
    });
    expect(payload.sub).toBe(alice.userId);
    expect(protectedHeader.alg).toBe("EdDSA");
    // …and a token from another key does not verify against it.
    const other = crypto.generateKeyPairSync("ed25519");
    const forged = forge({ alg: "EdDSA", typ: "at+jwt", kid: protectedHeader.kid }, payload as Json, other.privateKey);
    await expect(
      jwtVerify(forged, jwks, { issuer: server.config.auth.issuer, audience: server.config.auth.audience }),
    ).rejects.toThrow();
  });
});
