import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign as cryptoSign,
  type KeyObject,
} from "node:crypto";
import { describe, expect, it } from "vitest";
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK } from "jose";
import { generateApiKey, generateOpaqueToken } from "../../src/security/secrets.js";
import { createTokenService, TokenError, type TokenService } from "../../src/security/tokens.js";

const ISS = "https://memoric.test";
const AUD = "memoric-api";
const SECRET_BYTES = randomBytes(32);
const SECRET = "base64:" + SECRET_BYTES.toString("base64");
const base = { issuer: ISS, audience: AUD, accessTtlSeconds: 900, clockSkewSeconds: 30 };

// --- hand-rolled JWS so attacks can put anything in any segment ------------------------------
const b64u = (v: string | Buffer) => Buffer.from(v).toString("base64url");
type Json = Record<string, unknown>;
type Signer = (signingInput: string) => Buffer;

function jws(header: Json, payload: Json | string, signer: Signer): string {
  const p = typeof payload === "string" ? payload : JSON.stringify(payload);
  const input = `${b64u(JSON.stringify(header))}.${b64u(p)}`;
  return `${input}.${signer(input).toString("base64url")}`;
}
const hmac =
  (hash: string, key: Buffer | string): Signer =>
  (i) =>
    createHmac(hash, key).update(i).digest();
const ed =
  (key: KeyObject): Signer =>
  (i) =>
    cryptoSign(null, Buffer.from(i), key);
const es =
  (key: KeyObject): Signer =>
  (i) =>
    cryptoSign("sha256", Buffer.from(i), { key, dsaEncoding: "ieee-p1363" });
const noSig: Signer = () => Buffer.alloc(0);

const now = () => Math.floor(Date.now() / 1000);
function claims(over: Json = {}): Json {
  const t = now();
  return {
    sub: "user-1",
    iat: t,
    exp: t + 600,
    jti: randomUUID(),
    iss: ISS,
    aud: AUD,
    roles: ["USER"],
    ver: 3,
    sid: "s-1",
    ...over,
  };
}
function without(obj: Json, key: string): Json {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}
const HS = { alg: "HS256", typ: "at+jwt" };
const ourHs = (payload: Json | string = claims(), header: Json = HS) =>
  jws(header, payload, hmac("sha256", SECRET_BYTES));

async function expectRejected(svc: TokenService, token: unknown, reason: "invalid" | "expired" = "invalid") {
  const err = await svc.verify(token as string).then(
    () => new Error("verify unexpectedly succeeded"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenError);
  expect((err as TokenError).reason).toBe(reason);
}

function edKeys() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey, pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}
function p256Keys() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, publicKey, pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

describe("HS256 token service", () => {
  const svcP = createTokenService({ ...base, secret: SECRET });

  it("issues a token that verifies back to the same claims", async () => {
    const svc = await svcP;
    const issued = await svc.issue({ userId: "u-42", roles: ["USER", "READ_ONLY"], tokenVersion: 7, sessionId: "s-1" });
    expect(issued.expiresIn).toBe(900);
    expect(Math.abs(issued.expiresAt.getTime() - (Date.now() + 900_000))).toBeLessThan(2000);
    const c = await svc.verify(issued.token);
    expect(c).toEqual({
      sub: "u-42",
      jti: issued.jti,
      iat: expect.any(Number),
      exp: c.iat + 900,
      roles: ["USER", "READ_ONLY"],
      ver: 7,
      sid: "s-1",
    });
    expect(issued.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect((await svc.issue({ userId: "u-42", roles: [], tokenVersion: 7, sessionId: "s-1" })).jti).not.toBe(
      issued.jti,
    );
  });

  it("uses header { alg: HS256, typ: at+jwt } with no kid, and publishes no JWKS", async () => {
    const svc = await svcP;
    const { token } = await svc.issue({ userId: "u", roles: [], tokenVersion: 0, sessionId: "s-1" });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "at+jwt" });
    expect(svc.algorithm).toBe("HS256");
    expect(svc.kid).toBeUndefined();
    expect(svc.jwks()).toBeNull();
  });

  it("accepts a correctly hand-forged token (control for the attack cases below)", async () => {
    const c = await (await svcP).verify(ourHs());
    expect(c.sub).toBe("user-1");
  });

  it("refuses bad issue() input", async () => {
    const svc = await svcP;
    await expect(svc.issue({ userId: "", roles: [], tokenVersion: 0, sessionId: "s-1" })).rejects.toThrow(TypeError);
    await expect(
      svc.issue({ userId: "u", roles: [1 as unknown as string], tokenVersion: 0, sessionId: "s-1" }),
    ).rejects.toThrow(TypeError);
    await expect(svc.issue({ userId: "u", roles: [], tokenVersion: 1.5, sessionId: "s-1" })).rejects.toThrow(TypeError);
  });

  describe("rejects with TokenError('invalid')", () => {
    it.each(["none", "None", "NONE", "nOnE"])("alg %s, unsigned and with a valid HMAC appended", async (alg) => {
      const svc = await svcP;
      await expectRejected(svc, jws({ alg, typ: "at+jwt" }, claims(), noSig));
      await expectRejected(svc, jws({ alg, typ: "at+jwt" }, claims(), hmac("sha256", SECRET_BYTES)));
      await expectRejected(svc, jws({ alg, typ: "at+jwt" }, claims(), noSig).replace(/\.$/, ""));
    });

    it.each([
      ["HS384", "sha384"],
      ["HS512", "sha512"],
    ])("%s signed with the right secret", async (alg, hash) => {
      await expectRejected(await svcP, jws({ alg, typ: "at+jwt" }, claims(), hmac(hash, SECRET_BYTES)));
    });

    it("a tampered payload (privilege escalation) under the original signature", async () => {
      const [h, , s] = ourHs().split(".");
      const evil = b64u(JSON.stringify(claims({ roles: ["ADMIN"] })));
      await expectRejected(await svcP, `${h}.${evil}.${s}`);
    });

    it("a tampered signature, or one made with a different secret", async () => {
      const t = ourHs();
      await expectRejected(await svcP, t.slice(0, -2) + (t.at(-2) === "A" ? "B" : "A") + t.at(-1));
      await expectRejected(await svcP, jws(HS, claims(), hmac("sha256", randomBytes(32))));
    });

    it.each(["sub", "iat", "exp", "jti", "iss", "aud", "roles", "ver", "sid"])("missing claim %s", async (claim) => {
      await expectRejected(await svcP, ourHs(without(claims(), claim)));
    });

    it.each([
      ["sub empty", { sub: "" }],
      ["sub not a string", { sub: 42 }],
      ["jti not a string", { jti: 1 }],
      ["roles not an array", { roles: "ADMIN" }],
      ["roles with a non-string", { roles: ["USER", { admin: true }] }],
      ["ver fractional", { ver: 1.5 }],
      ["ver a string", { ver: "1" }],
      ["ver negative", { ver: -1 }],
      ["sid empty", { sid: "" }],
      ["exp a string", { exp: "never" }],
    ])("malformed claim: %s", async (_name, over) => {
      await expectRejected(await svcP, ourHs(claims(over)));
    });

    it.each([["JWT"], ["jwt"], ["at+jwe"], [undefined]])("typ header %s", async (typ) => {
      await expectRejected(await svcP, ourHs(claims(), { alg: "HS256", ...(typ ? { typ } : {}) }));
    });

    it("nbf or iat in the future (beyond clock skew)", async () => {
      await expectRejected(await svcP, ourHs(claims({ nbf: now() + 3600 })));
      await expectRejected(await svcP, ourHs(claims({ iat: now() + 3600, exp: now() + 7200 })));
    });

    it("wrong issuer and wrong audience", async () => {
      const svc = await svcP;
      await expectRejected(svc, ourHs(claims({ iss: "https://evil.example" })));
      await expectRejected(svc, ourHs(claims({ aud: "some-other-api" })));
    });

    it("an expired token whose signature is bad is 'invalid', not 'expired'", async () => {
      const t = jws(HS, claims({ iat: now() - 7200, exp: now() - 3600 }), hmac("sha256", randomBytes(32)));
      await expectRejected(await svcP, t, "invalid");
    });

    it("opaque tokens, API keys and other non-JWT strings", async () => {
      const svc = await svcP;
      for (const t of [
        generateOpaqueToken(),
        generateApiKey().key,
        "",
        "a.b",
        "a.b.c.d",
        "a.b.c.d.e",
        "x".repeat(10_000),
      ]) {
        await expectRejected(svc, t);
      }
      for (const t of [undefined, null, 42, {}]) await expectRejected(svc, t);
    });

    it("malformed base64 and malformed JSON segments", async () => {
      const svc = await svcP;
      const [h, p, s] = ourHs().split(".");
      await expectRejected(svc, `@@@.${p}.${s}`);
      await expectRejected(svc, `${h}.***.${s}`);
      await expectRejected(svc, `${h}.${p}.!!!`);
      await expectRejected(svc, `${b64u("{not json")}.${p}.${s}`);
      await expectRejected(svc, jws(HS, "{not json", hmac("sha256", SECRET_BYTES)));
      await expectRejected(svc, jws(HS, "[1,2,3]", hmac("sha256", SECRET_BYTES)));
      await expectRejected(svc, jws(HS, '"just a string"', hmac("sha256", SECRET_BYTES)));
    });

    it.each([
      ["kid", { kid: "attacker-key" }],
      ["jku", { jku: "https://evil.example/jwks.json" }],
      ["x5u", { x5u: "https://evil.example/cert.pem" }],
      ["jwk", { jwk: { kty: "oct", k: b64u(SECRET_BYTES) } }],
      ["crit", { crit: ["exp"] }],
    ])("an injected %s header, even when signed with our own secret", async (_name, extra) => {
      await expectRejected(await svcP, ourHs(claims(), { ...HS, ...extra }));
    });
  });

  describe("time", () => {
    it("reports an expired but otherwise valid token as TokenError('expired')", async () => {
      await expectRejected(await svcP, ourHs(claims({ iat: now() - 7200, exp: now() - 3600 })), "expired");
    });

    it("tolerates exp, nbf and iat within the configured clock skew", async () => {
      const svc = await svcP;
      await expect(svc.verify(ourHs(claims({ exp: now() - 10 })))).resolves.toBeTruthy();
      await expect(svc.verify(ourHs(claims({ nbf: now() + 10 })))).resolves.toBeTruthy();
      await expect(svc.verify(ourHs(claims({ iat: now() + 10 })))).resolves.toBeTruthy();
    });

    it("does not tolerate any lateness when clock skew is 0", async () => {
      const strict = await createTokenService({ ...base, clockSkewSeconds: 0, secret: SECRET });
      await expectRejected(strict, ourHs(claims({ exp: now() - 2 })), "expired");
    });
  });

  it("a token for one service is invalid at a service with another issuer or audience", async () => {
    const svc = await svcP;
    const { token } = await svc.issue({ userId: "u", roles: [], tokenVersion: 0, sessionId: "s-1" });
    await expectRejected(await createTokenService({ ...base, issuer: "other", secret: SECRET }), token);
    await expectRejected(await createTokenService({ ...base, audience: "other", secret: SECRET }), token);
  });
});

describe("Ed25519 (EdDSA) token service", () => {
  const ours = edKeys();
  const svcP = createTokenService({ ...base, privateKeyPem: ours.pem });
  const edHeader = async (extra: Json = {}) => ({ alg: "EdDSA", typ: "at+jwt", kid: (await svcP).kid, ...extra });

  it("issues EdDSA tokens with kid = the key's JWK thumbprint, and verifies them", async () => {
    const svc = await svcP;
    const expectedKid = await calculateJwkThumbprint(await exportJWK(ours.publicKey), "sha256");
    expect(svc.algorithm).toBe("EdDSA");
    expect(svc.kid).toBe(expectedKid);
    const { token } = await svc.issue({ userId: "u1", roles: ["ADMIN"], tokenVersion: 1, sessionId: "s-1" });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "EdDSA", typ: "at+jwt", kid: expectedKid });
    expect((await svc.verify(token)).roles).toEqual(["ADMIN"]);
  });

  it("publishes only the public key in its JWKS", async () => {
    const svc = await svcP;
    const set = svc.jwks();
    expect(set?.keys).toHaveLength(1);
    const k = set!.keys[0]!;
    expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: svc.kid, alg: "EdDSA", use: "sig" });
    expect(k).not.toHaveProperty("d");
    set!.keys[0]!.kid = "mutated"; // callers get a copy
    expect(svc.jwks()!.keys[0]!.kid).toBe(svc.kid);
  });

  it("accepts a hand-forged token signed with our key (control)", async () => {
    await expect((await svcP).verify(jws(await edHeader(), claims(), ed(ours.privateKey)))).resolves.toBeTruthy();
  });

  describe("rejects with TokenError('invalid')", () => {
    it("HS256 tokens keyed with our public key (algorithm confusion)", async () => {
      const svc = await svcP;
      const pem = ours.publicKey.export({ type: "spki", format: "pem" }).toString();
      const der = ours.publicKey.export({ type: "spki", format: "der" });
      const raw = Buffer.from((await exportJWK(ours.publicKey)).x!, "base64url");
      for (const key of [pem, der, raw, Buffer.from(pem)]) {
        await expectRejected(svc, jws({ alg: "HS256", typ: "at+jwt", kid: svc.kid }, claims(), hmac("sha256", key)));
      }
    });

    it.each(["none", "None", "NONE"])("alg %s", async (alg) => {
      await expectRejected(await svcP, jws({ alg, typ: "at+jwt", kid: (await svcP).kid }, claims(), noSig));
    });

    it("an attacker's own key, embedded as a jwk header, with either kid", async () => {
      const svc = await svcP;
      const evil = edKeys();
      const jwk = await exportJWK(evil.publicKey);
      const evilKid = await calculateJwkThumbprint(jwk, "sha256");
      for (const kid of [evilKid, svc.kid]) {
        await expectRejected(svc, jws({ alg: "EdDSA", typ: "at+jwt", kid, jwk }, claims(), ed(evil.privateKey)));
        await expectRejected(svc, jws({ alg: "EdDSA", typ: "at+jwt", kid }, claims(), ed(evil.privateKey)));
      }
    });

    it("a token signed by our key but with a kid, jku or jwk pointing elsewhere", async () => {
      const svc = await svcP;
      const jwk = await exportJWK(edKeys().publicKey);
      for (const extra of [{ kid: "elsewhere" }, { jku: "https://evil.example/jwks" }, { jwk }]) {
        await expectRejected(svc, jws(await edHeader(extra), claims(), ed(ours.privateKey)));
      }
      const noKid = { alg: "EdDSA", typ: "at+jwt" };
      await expectRejected(svc, jws(noKid, claims(), ed(ours.privateKey)));
    });

    it("ES256 tokens, even with our kid", async () => {
      const evil = p256Keys();
      await expectRejected(await svcP, jws(await edHeader({ alg: "ES256" }), claims(), es(evil.privateKey)));
    });

    it("a tampered payload", async () => {
      const [h, , s] = jws(await edHeader(), claims(), ed(ours.privateKey)).split(".");
      await expectRejected(await svcP, `${h}.${b64u(JSON.stringify(claims({ sub: "admin" })))}.${s}`);
    });
  });
});

describe("P-256 (ES256) token service", () => {
  it("detects P-256, issues ES256 tokens and publishes an EC JWK", async () => {
    const keys = p256Keys();
    const svc = await createTokenService({ ...base, privateKeyPem: keys.pem });
    expect(svc.algorithm).toBe("ES256");
    const { token } = await svc.issue({ userId: "u", roles: ["USER"], tokenVersion: 0, sessionId: "s-1" });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "ES256", typ: "at+jwt", kid: svc.kid });
    expect((await svc.verify(token)).sub).toBe("u");
    expect(svc.jwks()!.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig", kid: svc.kid });
    expect(svc.jwks()!.keys[0]).not.toHaveProperty("d");
  });

  it("rejects tokens from a different key with TokenError", async () => {
    const a = await createTokenService({ ...base, privateKeyPem: p256Keys().pem });
    const b = await createTokenService({ ...base, privateKeyPem: p256Keys().pem });
    const ed25519 = await createTokenService({ ...base, privateKeyPem: edKeys().pem });
    await expectRejected(b, (await a.issue({ userId: "u", roles: [], tokenVersion: 0, sessionId: "s-1" })).token);
    await expectRejected(a, (await ed25519.issue({ userId: "u", roles: [], tokenVersion: 0, sessionId: "s-1" })).token);
  });
});

describe("createTokenService configuration", () => {
  it("requires exactly one of secret and privateKeyPem", async () => {
    await expect(createTokenService({ ...base })).rejects.toThrow(/exactly one/);
    await expect(createTokenService({ ...base, secret: SECRET, privateKeyPem: edKeys().pem })).rejects.toThrow(
      /exactly one/,
    );
  });

  it("requires an HS256 secret of at least 32 bytes, raw or base64:", async () => {
    await expect(createTokenService({ ...base, secret: "x".repeat(31) })).rejects.toThrow(/32 bytes/);
    await expect(createTokenService({ ...base, secret: "x".repeat(32) })).resolves.toBeTruthy();
    await expect(
      createTokenService({ ...base, secret: "base64:" + randomBytes(31).toString("base64") }),
    ).rejects.toThrow(/32 bytes/);
    // 32 characters of text, but only 24 bytes once decoded: the decoded size is what counts.
    await expect(
      createTokenService({ ...base, secret: "base64:" + randomBytes(24).toString("base64") }),
    ).rejects.toThrow(/32 bytes/);
    await expect(createTokenService({ ...base, secret: "base64:not*base64!" + "A".repeat(40) })).rejects.toThrow(
      /base64/,
    );
  });

  it("decodes base64: secrets, so raw and encoded forms of one key interoperate", async () => {
    const raw = "k".repeat(40);
    const a = await createTokenService({ ...base, secret: raw });
    const b = await createTokenService({ ...base, secret: "base64:" + Buffer.from(raw).toString("base64") });
    await expect(
      b.verify((await a.issue({ userId: "u", roles: [], tokenVersion: 0, sessionId: "s-1" })).token),
    ).resolves.toBeTruthy();
  });

  it("accepts only unencrypted PKCS#8 Ed25519 or P-256 keys", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const pkcs8 = (k: KeyObject) => k.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(createTokenService({ ...base, privateKeyPem: pkcs8(rsa) })).rejects.toThrow(/Ed25519 or EC P-256/);
    await expect(createTokenService({ ...base, privateKeyPem: pkcs8(p384) })).rejects.toThrow(/Ed25519 or EC P-256/);
    const sec1 = p256.export({ type: "sec1", format: "pem" }).toString();
    await expect(createTokenService({ ...base, privateKeyPem: sec1 })).rejects.toThrow(/PKCS#8/);
    const pub = createPublicKey(p256).export({ type: "spki", format: "pem" }).toString();
    await expect(createTokenService({ ...base, privateKeyPem: pub })).rejects.toThrow(/PKCS#8/);
    const garbled = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    await expect(createTokenService({ ...base, privateKeyPem: garbled })).rejects.toThrow(/could not be parsed/);
  });

  it("validates issuer, audience, TTL and skew", async () => {
    await expect(createTokenService({ ...base, issuer: "", secret: SECRET })).rejects.toThrow(/issuer/);
    await expect(createTokenService({ ...base, audience: "", secret: SECRET })).rejects.toThrow(/audience/);
    await expect(createTokenService({ ...base, accessTtlSeconds: 0, secret: SECRET })).rejects.toThrow(/accessTtl/);
    await expect(createTokenService({ ...base, clockSkewSeconds: -1, secret: SECRET })).rejects.toThrow(/clockSkew/);
  });
});

describe("verified-token cache", () => {
  it("answers a token verified before from the cache until it expires, then 'expired'", async () => {
    const svc = await createTokenService({ ...base, clockSkewSeconds: 0, secret: SECRET });
    const token = ourHs(claims({ exp: now() + 2 }));
    const first = await svc.verify(token);
    expect(await svc.verify(token)).toBe(first); // the cached claims, not a second verification
    expect(svc.isEndUserToken(token)).toBe(false);
    await new Promise((r) => setTimeout(r, 2100));
    await expectRejected(svc, token, "expired");
    await expectRejected(svc, token, "expired"); // dropped from the cache, and jose agrees
  });

  it("never caches a rejection: a bad signature stays rejected, a good token of the same claims verifies", async () => {
    const svc = await createTokenService({ ...base, secret: SECRET });
    const c = claims();
    const forged = jws(HS, c, hmac("sha256", Buffer.alloc(32, 7)));
    await expectRejected(svc, forged);
    await expectRejected(svc, forged);
    expect((await svc.verify(ourHs(c))).jti).toBe(c.jti);
  });
});
