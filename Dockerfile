# syntax=docker/dockerfile:1
#
# Memoric: one port (8080) serving gRPC, gRPC-Web and Connect, plus /healthz, /readyz, /metrics.
#
#   docker build -t memoric .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://... -e MEMORIC_KEYSET=... memoric
#
# Without DATABASE_URL the server runs embedded PGlite under MEMORIC_DATA_DIR (/app/data): mount a
# volume there (-v memoric-data:/app/data) or the data is lost with the container.
#
# The server runs its TypeScript sources directly through tsx (a runtime dependency, the same way
# `npm start` runs it): there is no compile-to-JavaScript step, so the runtime stage carries src/ and
# gen/ as .ts. The build stage type-checks them, so a broken tree fails the image build.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: full install (dev dependencies included) and a type check --------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# bcrypt 6 ships N-API prebuilds for linux x64/arm64 (glibc and musl), found by node-gyp-build, so
# no python3/make/g++ is needed here. On another architecture, add:
#   RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++
COPY package.json package-lock.json ./
# The postinstall hook applies patches/ (patch-package) to the installed dependencies.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY gen ./gen
COPY src ./src
COPY bin ./bin
RUN npx tsc -p tsconfig.json --noEmit

# --- runtime: production dependencies only, non-root ------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    MEMORIC_DATA_DIR=/app/data
WORKDIR /app
# tsx (and its esbuild) is a production dependency: it is what runs src/main.ts.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# Code from the build stage (so the type check above is part of every build). Owned by root and
# read-only for the app user; only the data directory is writable.
COPY --from=build /app/tsconfig.json ./tsconfig.json
COPY --from=build /app/gen ./gen
COPY --from=build /app/src ./src
# The operator CLI: docker exec <container> node bin/memoric.js users create ...
COPY --from=build /app/bin ./bin
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 8080

# No curl in slim images: Node's own fetch against the liveness route.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# node itself is PID 1 (not npm, not the tsx CLI, which would fork a child), so SIGTERM reaches the
# server's handler: health goes NOT_SERVING, in-flight calls drain, then the process exits.
CMD ["node", "--import", "tsx", "src/main.ts"]
