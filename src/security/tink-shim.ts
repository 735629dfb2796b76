// Side-effect module: tink-crypto's bundle evaluates `goog.global = self` and calls
// `self.crypto.subtle` at load/use time. Node 20 has `globalThis.crypto` (WebCrypto) but no
// `self`, so alias it before the bundle is evaluated. It lives in its own module because ESM
// hoists imports: tink.ts imports this file first, so it runs before tink-crypto is evaluated.
(globalThis as { self?: unknown }).self ??= globalThis;

export {};
