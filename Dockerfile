# OpenExpert server image: `docker build -t openexpert .`, then see deploy/compose/compose.yaml.
# Configuration is by environment (OPENEXPERT_* as in docs/operations.md); state lives in /data (SQLite and
# artifacts by default) or in PostgreSQL and S3 when OPENEXPERT_DB and OPENEXPERT_ARTIFACTS point there.

FROM node:22.21.1-bookworm-slim AS build
WORKDIR /src
# onnxruntime-node's install script would fetch CUDA libraries; its CPU runtime ships in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts wait for the sources (the package's own prepare step builds them); native modules are built next.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 esbuild
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:22.21.1-bookworm-slim AS runtime
# The PostgreSQL client tools let `openexpert backup`/`restore` run in the container (pg_dump of the server's
# major version or newer: Debian bookworm ships 15, as compose's PostgreSQL is).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown node:node /data
WORKDIR /app
ENV NODE_ENV=production \
    OPENEXPERT_HOME=/data \
    OPENEXPERT_HOST=0.0.0.0 \
    OPENEXPERT_PORT=5000
# The code stays root's and read-only to the server; only /data is the server's to write.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /app/dist/src/cli/index.js /usr/local/bin/openexpert
USER node
VOLUME ["/data"]
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.OPENEXPERT_PORT}/api/v1/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli/index.js"]
CMD ["server"]
