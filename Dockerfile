# syntax=docker/dockerfile:1
#
# Memoric: port 8080 serves gRPC, gRPC-Web and Connect plus /healthz and /readyz; port 9090
# (MEMORIC_ADMIN_PORT) serves /metrics and /health/detailed.
#
#   docker build -t memoric .
#   docker run --rm --read-only -p 8080:8080 -e DATABASE_URL=postgres://... -e MEMORIC_KEYSET=... memoric
#
# Without DATABASE_URL the server runs embedded PGlite under MEMORIC_DATA_DIR (/data), the only
# writable path: mount a volume there (-v memoric-data:/data) or the data is lost with the container.
# The operator CLI runs from the same image: docker exec <container> node bin/memoric.js --help
# (commands that open the embedded database refuse while the server holds /data: stop it first).
#
# The runtime stage runs compiled JavaScript (npm run build -> dist/) with production dependencies
# only: no TypeScript, no tsx, no npm at run time, nothing written outside /data.

# Node 20, the version CI tests on, pinned to a full release (bump it with CI's Node). Add the
# image's digest (@sha256:...) when building from a registry you can resolve it from.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- toolchain: for native modules (bcrypt) without a prebuilt binary for this platform ---------
# Same base as the runtime, so whatever is compiled here links against the runtime's glibc.
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# --- build: full install (dev dependencies included), then compile to dist/ ---------------------
FROM toolchain AS build
COPY package.json package-lock.json ./
# patches/ before npm ci: its postinstall applies them (patch-package) to node_modules.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY gen ./gen
COPY src ./src
# The browser console, bundled by the build with the TypeScript client's source into dist/public/console/.
COPY console ./console
COPY clients/typescript/src ./clients/typescript/src
RUN npm run build

# --- production dependencies only ---------------------------------------------------------------
FROM toolchain AS prod-deps
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime: production dependencies and compiled code, non-root, read-only root filesystem ------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    MEMORIC_DATA_DIR=/data
WORKDIR /app
# Owned by root and not writable by the app user.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown 1000:1000 /data && chmod 0700 /data
VOLUME ["/data"]

# The official image's "node" user, numeric so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 9090

# No curl in slim images: Node's own fetch against the liveness route.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# node itself is PID 1 (not npm), so SIGTERM reaches the server's handler: health goes NOT_SERVING,
# in-flight calls drain, then the process exits. The node options are src/server/v8-defaults.ts's NODE_OPTIONS.
CMD ["node", "--v8-pool-size=0", "dist/main.js"]
