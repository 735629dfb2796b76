// JWT access tokens (RFC 9068 style, typ "at+jwt") signed and verified with jose.
//
// Hardening, beyond jose's defaults:
//  - the algorithm is pinned to the one our key implies, and the key is a fixed KeyObject, so
//    header-driven key selection (kid/jku/x5u/jwk) and algorithm confusion are impossible;
//  - only the header parameters we ever emit (alg, typ, kid) are allowed, kid must be ours;
//  - every failure surfaces as TokenError, so callers have exactly one thing to catch.
import { createPrivateKey, createPublicKey, createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import { Lru } from "../domain/lru.js";
import { SignJWT, calculateJwkThumbprint, decodeProtectedHeader, errors, exportJWK, jwtVerify, type JWK } from "jose";
import { overlay } from "../domain/objects.js";

interface AccessTokenClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  roles: string[];
  /** Per-user token version: bumping it in the database revokes every outstanding token. */
  ver: number;
  /** Session (refresh-token family) id: revoking the session revokes its access tokens. */
  sid: string;
}

/** Claims of a delegated end-user token (IssueEndUserToken; DESIGN.md §9). */
interface EndUserTokenClaims {
  /** The account. */
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  /** The end user's internal (owner) id. */
  eu: string;
  /** The delegated permissions (a subset of the issuer's memory permissions). */
  perms: string[];
  /** The pinned thread, if any. */
  thr: string | undefined;
  /** The end user's token version when issued: RevokeEndUserTokens bumps it. */
  ver: number;
  /** The issuing credential: "api_key:<id>" or "session:<id>"; revoking it revokes the token. */
  crd: string;
}

interface EndUserTokenInput {
  accountId: string;
  ownerId: string;
  permissions: readonly string[];
  threadId: string | undefined;
  tokenVersion: number;
  credential: string;
  ttlSeconds: number;
}

export type TokenErrorReason = "expired" | "invalid";

/** The only error verify() ever throws. The message never contains the token. */
export class TokenError extends Error {
  override readonly name = "TokenError";
  readonly reason: TokenErrorReason;
  /** True for known attack signatures (algorithm confusion, injected key headers): worth an alert. */
  readonly suspicious: boolean;
  constructor(reason: TokenErrorReason, detail?: string, suspicious = false) {
    super(detail ? `access token ${reason}: ${detail}` : `access token ${reason}`);
    this.reason = reason;
    this.suspicious = suspicious;
  }
}

type AccessTokenAlgorithm = "HS256" | "EdDSA" | "ES256";

export interface TokenServiceOptions {
  /** HS256 shared secret: raw UTF-8, or "base64:<base64>"; at least 32 bytes once decoded. */
  secret?: string;
  /** PKCS#8 PEM private key: Ed25519 (EdDSA) or P-256 (ES256). */
  privateKeyPem?: string;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  clockSkewSeconds: number;
}

interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresAt: Date;
  /** Seconds until expiry. */
  expiresIn: number;
}

export interface TokenService {
  readonly algorithm: AccessTokenAlgorithm;
  /** JWK thumbprint of the public key; undefined for HS256. */
  readonly kid: string | undefined;
  issue(input: {
    userId: string;
    roles: string[];
    tokenVersion: number;
    sessionId: string;
  }): Promise<IssuedAccessToken>;
  verify(token: string): Promise<AccessTokenClaims>;
  /** A delegated token pinned to one end user: its own typ ("eu+jwt") and audience. */
  issueEndUser(input: EndUserTokenInput): Promise<IssuedAccessToken>;
  verifyEndUser(token: string): Promise<EndUserTokenClaims>;
  /** True when the token's header says it is a delegated end-user token (not yet verified). */
  isEndUserToken(token: string): boolean;
  /** Public keys for /.well-known/jwks.json; null for HS256 (nothing public to publish). */
  jwks(): { keys: JWK[] } | null;
}

const ACCESS_TOKEN_TYP = "at+jwt";
const END_USER_TOKEN_TYP = "eu+jwt";
/** Appended to the configured audience: an end-user token is never accepted as an access token. */
const END_USER_AUDIENCE_SUFFIX = "#end-user";
const MIN_HS256_SECRET_BYTES = 32;
// Far above any token we issue; bounds the work an attacker can make us do per request.
const MAX_TOKEN_LENGTH = 8192;
/** Verified tokens remembered per kind (~0.5 KB each). */
const VERIFIED_CACHE_SIZE = 10_000;
const ALLOWED_HEADER_PARAMS = new Set(["alg", "typ", "kid"]);
const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

function decodeSecret(secret: string): Uint8Array {
  let bytes: Buffer;
  if (secret.startsWith("base64:")) {
    const b64 = secret.slice("base64:".length).trim();
    // Buffer.from(…, "base64") silently skips junk; validate first so typos aren't half-decoded.
    if (!BASE64_RE.test(b64)) throw new Error("token secret after 'base64:' is not valid base64");
    bytes = Buffer.from(b64, "base64");
  } else {
    bytes = Buffer.from(secret, "utf8");
  }
  if (bytes.length < MIN_HS256_SECRET_BYTES) {
    throw new Error(`HS256 token secret must be at least ${MIN_HS256_SECRET_BYTES} bytes (got ${bytes.length})`);
  }
  return bytes;
}

function loadPrivateKey(pem: string): { key: KeyObject; alg: "EdDSA" | "ES256" } {
  if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) {
    throw new Error(
      "token private key must be an unencrypted PKCS#8 PEM ('BEGIN PRIVATE KEY'); " +
        "convert with `openssl pkcs8 -topk8 -nocrypt`",
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new Error("token private key PEM could not be parsed");
  }
  if (key.asymmetricKeyType === "ed25519") return { key, alg: "EdDSA" };
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") {
    return { key, alg: "ES256" };
  }
  throw new Error("token private key must be Ed25519 or EC P-256");
}

function assertOptions(o: TokenServiceOptions): void {
  const nonEmpty = (v: unknown) => typeof v === "string" && v.length > 0;
  if (!nonEmpty(o.issuer)) throw new Error("token issuer must be a non-empty string");
  if (!nonEmpty(o.audience)) throw new Error("token audience must be a non-empty string");
  if (!Number.isSafeInteger(o.accessTtlSeconds) || o.accessTtlSeconds <= 0) {
    throw new Error("accessTtlSeconds must be a positive integer");
  }
  if (!Number.isSafeInteger(o.clockSkewSeconds) || o.clockSkewSeconds < 0) {
    throw new Error("clockSkewSeconds must be a non-negative integer");
  }
  const hasSecret = o.secret !== undefined && o.secret !== "";
  const hasKey = o.privateKeyPem !== undefined && o.privateKeyPem !== "";
  if (hasSecret === hasKey) {
    throw new Error("configure exactly one of a token secret (HS256) or a private key PEM");
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((r) => typeof r === "string");

export async function createTokenService(opts: TokenServiceOptions): Promise<TokenService> {
  assertOptions(opts);
  const { issuer, audience, accessTtlSeconds: ttl, clockSkewSeconds: skew } = opts;

  let alg: AccessTokenAlgorithm;
  let signKey: KeyObject;
  let verifyKey: KeyObject;
  let kid: string | undefined;
  let publicJwk: JWK | undefined;

  if (opts.secret) {
    alg = "HS256";
    signKey = verifyKey = createSecretKey(decodeSecret(opts.secret));
  } else {
    const loaded = loadPrivateKey(opts.privateKeyPem as string);
    alg = loaded.alg;
    signKey = loaded.key;
    verifyKey = createPublicKey(loaded.key);
    const jwk = await exportJWK(verifyKey);
    kid = await calculateJwkThumbprint(jwk, "sha256");
    publicJwk = overlay(jwk, { kid, alg, use: "sig" });
  }

  async function issue(input: {
    userId: string;
    roles: string[];
    tokenVersion: number;
    sessionId: string;
  }): Promise<IssuedAccessToken> {
    if (typeof input.userId !== "string" || input.userId.length === 0) {
      throw new TypeError("userId must be a non-empty string");
    }
    if (!isStringArray(input.roles)) throw new TypeError("roles must be an array of strings");
    if (!Number.isSafeInteger(input.tokenVersion) || input.tokenVersion < 0) {
      throw new TypeError("tokenVersion must be a non-negative integer");
    }
    if (typeof input.sessionId !== "string" || input.sessionId.length === 0) {
      throw new TypeError("sessionId must be a non-empty string");
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = now + ttl;
    const jti = randomUUID();
    const token = await new SignJWT({ roles: [...input.roles], ver: input.tokenVersion, sid: input.sessionId })
      .setProtectedHeader(kid ? { alg, typ: ACCESS_TOKEN_TYP, kid } : { alg, typ: ACCESS_TOKEN_TYP })
      .setSubject(input.userId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(signKey);
    return { token, jti, expiresAt: new Date(exp * 1000), expiresIn: ttl };
  }

  /** Signature, algorithm, typ, audience, issuer, time and header checks shared by both token kinds. */
  async function verifiedPayload(token: string, typ: string, aud: string) {
    if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new TokenError("invalid", "malformed");
    }
    const { payload, protectedHeader } = await jwtVerify(token, verifyKey, {
      algorithms: [alg],
      issuer,
      audience: aud,
      typ,
      clockTolerance: skew,
      requiredClaims: ["sub", "iat", "exp", "jti", "iss", "aud"],
    });
    for (const param of Object.keys(protectedHeader)) {
      if (!ALLOWED_HEADER_PARAMS.has(param)) {
        throw new TokenError("invalid", `unexpected header parameter "${param}"`, true);
      }
    }
    if (protectedHeader.kid !== kid) throw new TokenError("invalid", "unknown kid", true);
    return payload;
  }

  /** Every failure as a TokenError: the only error the verify functions throw. */
  async function asTokenError<T>(verifying: Promise<T>): Promise<T> {
    try {
      return await verifying;
    } catch (err) {
      if (err instanceof TokenError) throw err;
      // jose only raises JWTExpired after the signature and all other claims checked out.
      if (err instanceof errors.JWTExpired) throw new TokenError("expired");
      const code = err instanceof errors.JOSEError ? err.code : "unexpected error";
      // alg "none", HS384/512 or HS256-with-our-public-key: algorithm confusion, not an accident.
      throw new TokenError("invalid", code, err instanceof errors.JOSEAlgNotAllowed);
    }
  }

  async function verifyOrThrow(token: string): Promise<AccessTokenClaims> {
    const payload = await verifiedPayload(token, ACCESS_TOKEN_TYP, audience);
    const { sub, jti, iat, exp, roles, ver, sid } = payload;
    if (typeof sub !== "string" || sub.length === 0) throw new TokenError("invalid", "bad sub");
    if (typeof jti !== "string" || jti.length === 0) throw new TokenError("invalid", "bad jti");
    if (typeof iat !== "number" || typeof exp !== "number") {
      throw new TokenError("invalid", "bad iat/exp");
    }
    // jose only checks iat against the clock when maxTokenAge is set; a future iat means a
    // forged or mis-clocked issuer either way.
    if (iat > Math.floor(Date.now() / 1000) + skew) throw new TokenError("invalid", "iat in future");
    if (!isStringArray(roles)) throw new TokenError("invalid", "bad roles");
    if (typeof ver !== "number" || !Number.isSafeInteger(ver) || ver < 0) {
      throw new TokenError("invalid", "bad ver");
    }
    if (typeof sid !== "string" || sid.length === 0) throw new TokenError("invalid", "bad sid");
    return { sub, jti, iat, exp, roles: [...roles], ver, sid };
  }

  /**
   * Tokens whose signature and claims checked out, kept until they expire (bounded LRU): a client
   * sends the same token on every call, and what verification proves about it cannot change before
   * `exp` — revocation is not decided here but per call by the caller (interceptors/authn.ts).
   */
  const verified = new Lru<string, AccessTokenClaims>(VERIFIED_CACHE_SIZE);
  const verifiedEndUser = new Lru<string, EndUserTokenClaims>(VERIFIED_CACHE_SIZE);
  /** A cached token still within exp (+ the skew jose tolerates): its claims; expired: TokenError. */
  function fromCache<T extends { exp: number }>(cache: Lru<string, T>, token: string): T | undefined {
    const hit = cache.get(token);
    if (hit === undefined) return undefined;
    if (Date.now() / 1000 < hit.exp + skew) return hit;
    cache.delete(token);
    throw new TokenError("expired");
  }

  async function verify(token: string): Promise<AccessTokenClaims> {
    const hit = fromCache(verified, token);
    if (hit) return hit;
    const claims = await asTokenError(verifyOrThrow(token));
    verified.set(token, claims);
    return claims;
  }

  async function issueEndUser(input: EndUserTokenInput): Promise<IssuedAccessToken> {
    if (!Number.isSafeInteger(input.ttlSeconds) || input.ttlSeconds <= 0) throw new TypeError("ttl must be positive");
    const now = Math.floor(Date.now() / 1000);
    const exp = now + input.ttlSeconds;
    const jti = randomUUID();
    const claims = {
      eu: input.ownerId,
      perms: [...input.permissions],
      ver: input.tokenVersion,
      crd: input.credential,
      ...(input.threadId === undefined ? {} : { thr: input.threadId }),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader(kid ? { alg, typ: END_USER_TOKEN_TYP, kid } : { alg, typ: END_USER_TOKEN_TYP })
      .setSubject(input.accountId)
      .setIssuer(issuer)
      .setAudience(audience + END_USER_AUDIENCE_SUFFIX)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(signKey);
    return { token, jti, expiresAt: new Date(exp * 1000), expiresIn: input.ttlSeconds };
  }

  async function verifyEndUserOrThrow(token: string): Promise<EndUserTokenClaims> {
    const payload = await verifiedPayload(token, END_USER_TOKEN_TYP, audience + END_USER_AUDIENCE_SUFFIX);
    const { sub, jti, iat, exp, eu, perms, thr, ver, crd } = payload;
    const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;
    if (!nonEmpty(sub) || !nonEmpty(jti) || !nonEmpty(eu) || !nonEmpty(crd))
      throw new TokenError("invalid", "bad claims");
    if (typeof iat !== "number" || typeof exp !== "number") throw new TokenError("invalid", "bad iat/exp");
    if (iat > Math.floor(Date.now() / 1000) + skew) throw new TokenError("invalid", "iat in future");
    if (!isStringArray(perms)) throw new TokenError("invalid", "bad perms");
    if (thr !== undefined && typeof thr !== "string") throw new TokenError("invalid", "bad thr");
    if (typeof ver !== "number" || !Number.isSafeInteger(ver) || ver < 0) throw new TokenError("invalid", "bad ver");
    return { sub, jti, iat, exp, eu, perms: [...perms], thr, ver, crd };
  }

  async function verifyEndUser(token: string): Promise<EndUserTokenClaims> {
    const hit = fromCache(verifiedEndUser, token);
    if (hit) return hit;
    const claims = await asTokenError(verifyEndUserOrThrow(token));
    verifiedEndUser.set(token, claims);
    return claims;
  }

  function isEndUserToken(token: string): boolean {
    if (verified.get(token)) return false;
    if (verifiedEndUser.get(token)) return true;
    try {
      return decodeProtectedHeader(token).typ === END_USER_TOKEN_TYP;
    } catch {
      return false;
    }
  }

  function jwks(): { keys: JWK[] } | null {
    return publicJwk ? { keys: [{ ...publicJwk }] } : null;
  }

  return { algorithm: alg, kid, issue, verify, issueEndUser, verifyEndUser, isEndUserToken, jwks };
}
