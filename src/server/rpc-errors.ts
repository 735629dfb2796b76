/**
 * Protocol-level errors made actionable, where no interceptor can reach them.
 *
 * connect-es decodes a unary request message before the interceptors run, and reports bytes it
 * cannot decode (a truncated field, invalid UTF-8) as Internal "parse binary: …". The client sent
 * them, so the answer is InvalidArgument: parseFailuresAsInvalidArgument wraps the router's handlers
 * and rewrites exactly that status in each protocol's error encoding (gRPC trailers, gRPC-web
 * trailer frame, Connect error body or end-of-stream message). Any other status passes untouched.
 *
 * unknownMethod answers a path no service serves in the caller's protocol: gRPC and gRPC-web get
 * status 12 (Unimplemented), Connect a 404 with an "unimplemented" error body.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { encodeEnvelope, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  createEndStreamSerialization,
  endStreamFlag,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { badRequest } from "../domain/field-violations.js";
import { asRequestParseFailure } from "../interceptors/errors.js";
import { overlay } from "../domain/objects.js";

const GRPC_STATUS = "grpc-status";
const GRPC_MESSAGE = "grpc-message";

/** A gRPC(-web) trailer block: the rewritten error, if it holds a request parse failure. */
function rewriteGrpcTrailer(trailer: Headers): boolean {
  if (trailer.get(GRPC_STATUS) !== String(Code.Internal)) return false;
  let message: string;
  try {
    message = decodeURIComponent(trailer.get(GRPC_MESSAGE) ?? "");
  } catch {
    return false;
  }
  const fixed = asRequestParseFailure(Code.Internal, message);
  if (!fixed) return false;
  trailer.set(GRPC_STATUS, String(fixed.code));
  trailer.set(GRPC_MESSAGE, grpcPercentEncode(fixed.rawMessage));
  return true;
}

/**
 * grpc-message as the gRPC spec encodes it: only bytes outside printable ASCII, and '%'. connect
 * uses encodeURIComponent, which grpc-js (decodeURI) leaves half-decoded ("username%3A ...").
 */
function grpcPercentEncode(message: string): string {
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    const plain = byte >= 0x20 && byte <= 0x7e && byte !== 0x25;
    out += plain ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Re-encodes a gRPC trailer's grpc-message to the spec's minimal percent-encoding. */
function normalizeGrpcMessage(trailer: Headers): void {
  const raw = trailer.get(GRPC_MESSAGE);
  if (raw === null) return;
  try {
    trailer.set(GRPC_MESSAGE, grpcPercentEncode(decodeURIComponent(raw)));
  } catch {
    // not ours to fix
  }
}

/** One whole uncompressed envelope with these flags, or undefined. */
function envelopeData(chunk: Uint8Array, flags: number): Uint8Array | undefined {
  if (chunk.byteLength < 5 || chunk[0] !== flags) return undefined;
  const length = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).getUint32(1);
  return length === chunk.byteLength - 5 ? chunk.subarray(5) : undefined;
}

const endStream = createEndStreamSerialization(undefined);

function rewriteEnvelope(protocol: string, chunk: Uint8Array): Uint8Array {
  if (protocol === "grpc-web") {
    const data = envelopeData(chunk, trailerFlag);
    if (!data) return chunk;
    const trailer = trailerParse(data);
    return rewriteGrpcTrailer(trailer) ? encodeEnvelope(trailerFlag, trailerSerialize(trailer)) : chunk;
  }
  const data = envelopeData(chunk, endStreamFlag);
  if (!data) return chunk;
  try {
    const end = endStream.parse(data);
    const fixed = end.error && asRequestParseFailure(end.error.code, end.error.rawMessage);
    return fixed ? encodeEnvelope(endStreamFlag, endStream.serialize(overlay(end, { error: fixed }))) : chunk;
  } catch {
    return chunk;
  }
}

async function* concat(chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* chunks;
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}

// The body wrappers are module-level generators taking what they use as arguments, never a generator
// function created per call: V8 kept such a function, and every object of the call its scope reached,
// through scavenges (docs/operations.md, "Memory"; the same fix as the connect patch).
async function* fixingTrailer(out: AsyncIterable<Uint8Array>, trailer: Headers | undefined): AsyncIterable<Uint8Array> {
  yield* out;
  // The trailer is complete once the body is; the adapter writes it after this.
  if (trailer && !rewriteGrpcTrailer(trailer)) normalizeGrpcMessage(trailer);
}

async function* rewritingEnvelopes(out: AsyncIterable<Uint8Array>, protocol: string): AsyncIterable<Uint8Array> {
  for await (const chunk of out) yield rewriteEnvelope(protocol, chunk);
}

async function* tee(body: AsyncIterable<Uint8Array>, into: Uint8Array[]): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    into.push(chunk);
    yield chunk;
  }
}

/**
 * protobuf-es names the enum type, not the field, for an unknown enum name in JSON: find the
 * field(s) of the request holding that value, so the client learns which field to fix.
 */
function enumFieldPaths(desc: DescMessage, json: unknown, enumName: string, value: unknown, prefix = ""): string[] {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return [];
  const obj = json as Record<string, unknown>;
  return desc.fields.flatMap((field) => {
    const v = obj[field.jsonName] ?? obj[field.name];
    const path = prefix + field.name;
    if (v === undefined) return [];
    if (field.fieldKind === "enum") return field.enum.typeName === enumName && v === value ? [path] : [];
    if (field.fieldKind === "list" && field.listKind === "enum" && Array.isArray(v)) {
      return field.enum.typeName === enumName ? v.flatMap((item, i) => (item === value ? [`${path}[${i}]`] : [])) : [];
    }
    if (field.fieldKind === "message") return enumFieldPaths(field.message, v, enumName, value, `${path}.`);
    if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(v)) {
      return v.flatMap((item, i) => enumFieldPaths(field.message, item, enumName, value, `${path}[${i}].`));
    }
    return [];
  });
}

const UNKNOWN_ENUM = /^cannot decode enum (\S+) from JSON: (.*)$/;

function unknownEnumError(
  message: string,
  input: DescMessage,
  request: Uint8Array | undefined,
): ConnectError | undefined {
  const m = UNKNOWN_ENUM.exec(message);
  if (!m || !request) return undefined;
  try {
    const value = JSON.parse(m[2]!) as unknown;
    const paths = enumFieldPaths(input, JSON.parse(Buffer.from(request).toString("utf8")), m[1]!, value);
    if (paths.length === 0) return undefined;
    return badRequest(paths.map((field) => ({ field, description: `unknown ${m[1]} value ${m[2]}` })));
  } catch {
    return undefined;
  }
}

/** Connect unary: the error is the whole (uncompressed, JSON) body of a non-200 response. */
async function rewriteConnectUnary(
  res: UniversalServerResponse,
  input: DescMessage,
  request: () => Uint8Array | undefined,
): Promise<UniversalServerResponse> {
  const header = new Headers(res.header);
  const statuses = [codeToHttpStatus(Code.Internal), codeToHttpStatus(Code.InvalidArgument)];
  if (!statuses.includes(res.status) || !res.body || header.has("content-encoding")) return res;
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  let fixed: ConnectError | undefined;
  try {
    const json = JSON.parse(body.toString("utf8")) as { code?: unknown; message?: unknown };
    if (json.code === "internal" && typeof json.message === "string") {
      fixed = asRequestParseFailure(Code.Internal, json.message);
    }
    if (json.code === "invalid_argument" && typeof json.message === "string") {
      fixed = unknownEnumError(json.message, input, request());
    }
  } catch {
    // not an error body we know: leave it
  }
  if (!fixed) return overlay(res, { body: concat(chunks) });
  const bytes = errorToJsonBytes(fixed, undefined);
  header.set("content-length", String(bytes.byteLength));
  return overlay(res, { status: codeToHttpStatus(fixed.code), header, body: concat([bytes]) });
}

/** Which protocol connect negotiated, from the request's content type (as its handlers match it). */
function protocolOf(contentType: string): "grpc" | "grpc-web" | "connect" {
  if (/^application\/grpc-web/i.test(contentType)) return "grpc-web";
  if (/^application\/grpc/i.test(contentType)) return "grpc";
  return "connect";
}

function wrap(handler: UniversalHandler): UniversalHandler {
  const unary = handler.method.methodKind === "unary";
  const wrapped = async (req: Parameters<UniversalHandler>[0]): Promise<UniversalServerResponse> => {
    const contentType = req.header.get("content-type") ?? "";
    const protocol = protocolOf(contentType);
    // A JSON request's bytes are kept (they are bounded by readMaxBytes) to name an unknown enum's field.
    const seen: Uint8Array[] = [];
    const body = req.body;
    const keep = protocol === "connect" && unary && /^application\/json/i.test(contentType) && isAsyncIterable(body);
    const res = await handler(keep ? overlay(req, { body: tee(body, seen) }) : req);
    if (protocol === "connect" && unary) {
      return rewriteConnectUnary(res, handler.method.input, () => (keep ? Buffer.concat(seen) : undefined));
    }
    const out = res.body;
    if (!out) return res;
    if (protocol === "grpc") {
      const trailer = res.trailer;
      return overlay(res, { body: fixingTrailer(out, trailer) });
    }
    return overlay(res, { body: rewritingEnvelopes(out, protocol) });
  };
  return Object.assign(wrapped, {
    protocolNames: handler.protocolNames,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
    requestPath: handler.requestPath,
    service: handler.service,
    method: handler.method,
  });
}

/** Call after every service is registered on the router. */
export function parseFailuresAsInvalidArgument(router: ConnectRouter): void {
  const handlers = router.handlers as UniversalHandler[];
  for (let i = 0; i < handlers.length; i++) handlers[i] = wrap(handlers[i]!);
}

/** connectNodeAdapter's fallback: a path that names no served method. */
export const unknownMethod: NonNullable<ConnectNodeAdapterOptions["fallback"]> = (req, res) => {
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
  const path = (req.url ?? "").split("?", 1)[0]!.slice(0, 200);
  const message = `unknown method ${path}`;
  if (/^application\/grpc(-web(-text)?)?([+;]|$)/.test(contentType)) {
    const headers = {
      "content-type": contentType.split(";", 1)[0]!,
      [GRPC_STATUS]: String(Code.Unimplemented),
      [GRPC_MESSAGE]: grpcPercentEncode(message),
    };
    // Trailers-only response: the status travels in one HEADERS frame that ends the stream
    // (grpc-js reads a status in headers only then).
    if ("stream" in res && res.stream) res.stream.respond({ ":status": 200, ...headers }, { endStream: true });
    else {
      res.writeHead(200, headers);
      res.end();
    }
    return;
  }
  if (/^application\/(connect\+)?(json|proto)([;]|$)/.test(contentType)) {
    const body = errorToJsonBytes(new ConnectError(message, Code.Unimplemented), undefined);
    res.writeHead(404, { "content-type": "application/json", "content-length": String(body.byteLength) });
    res.end(body);
    return;
  }
  res.writeHead(404);
  res.end();
};
