# syntax=docker/dockerfile:1
# Guestpass as a container: `docker build -t guestpass .` then see compose.yaml for several
# nodes on PostgreSQL + Redis. Three stages: the production dependencies (compiled once, with
# the toolchain that better-sqlite3 needs when no prebuilt binary fits), the build (TypeScript,
# with every dev dependency), and a small runtime image that has neither.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The workspaces' manifests too: the lockfile names them, and npm ci checks it against them.
COPY package.json package-lock.json ./
COPY console/package.json console/
COPY packages/web/package.json packages/web/
COPY packages/resource-server/package.json packages/resource-server/
COPY examples/shop/package.json examples/shop/

# Production dependencies of the server alone (not the console's React, which is bundled at
# build time, nor the SDK's). --ignore-scripts skips `prepare` (it builds, and needs the dev
# dependencies); better-sqlite3's own install step then runs on its own.
FROM toolchain AS prod-deps
RUN npm ci --omit=dev --workspaces=false --include-workspace-root --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3

# `npm run build` is tsc alone: no native module is loaded here, so none is compiled.
FROM toolchain AS build
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# No development clients: their secret would be printed into the container's log, which log
# shippers keep; create clients with `guestpass clients create` (see docs/deploy.md).
ENV NODE_ENV=production \
    GUESTPASS_HOST=0.0.0.0 \
    GUESTPASS_PORT=4455 \
    GUESTPASS_DATA_DIR=/var/lib/guestpass \
    GUESTPASS_DEV_CLIENTS=false
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The embedded SQLite and a generated master key live here when no GUESTPASS_DATABASE_URL and
# GUESTPASS_MASTER_KEY are given; owned by the unprivileged user the server runs as.
# Owner-only, as the server wants it (it tightens a looser folder at start, with a warning).
RUN install -d -m 0700 -o node -g node /var/lib/guestpass
USER node
VOLUME ["/var/lib/guestpass"]
EXPOSE 4455
# /readyz answers 503 while the database does not: the orchestrator then stops routing here.
# The check starts a Node process (the slim image has no curl): on a loaded host that alone took
# over 3 s, so the timeout leaves room for it.
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GUESTPASS_PORT || 4455) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `node` directly (not npm): signals reach the server, which drains and stops (GUESTPASS_SHUTDOWN_TIMEOUT).
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["serve"]
