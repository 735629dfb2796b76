/** Fresh production-grade secrets for a test server (production mode refuses to start without them). */
import crypto from "node:crypto";
import { MasterKeyring } from "../../src/security/crypto.js";

let cached: Promise<Record<string, string>> | undefined;

export function testSecretsEnv(): Promise<Record<string, string>> {
  cached ??= (async () => ({
    MEMORIC_JWT_SECRET: `base64:${crypto.randomBytes(48).toString("base64")}`,
    MEMORIC_KEYSET: (await MasterKeyring.generate()).toBase64(),
    MEMORIC_AUDIT_SIGNING_KEY: `base64:${crypto.randomBytes(48).toString("base64")}`,
  }))();
  return cached;
}
