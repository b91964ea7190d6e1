# syntax=docker/dockerfile:1
# Opstage CE image: Next.js standalone server + operator CLI, state in the /app/data volume.
# tests/http/image-layout.test.ts assembles exactly what the runtime stage copies (the COPY
# --from=build lines below) and starts it, so a file missing from the image fails CI.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG OPSTAGE_BUILD_COMMIT=""
ENV NEXT_TELEMETRY_DISABLED=1 \
    OPSTAGE_BUILD_COMMIT=${OPSTAGE_BUILD_COMMIT}
RUN node scripts/prisma-generate.mjs \
 && npx --no-install next build \
 && node scripts/build-cli.mjs \
 && node scripts/build-worker.mjs

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    OPSTAGE_DATA_DIR=/app/data \
    OPSTAGE_HOST=0.0.0.0 \
    OPSTAGE_PORT=8080
WORKDIR /app
RUN groupadd --system --gid 10001 opstage \
 && useradd --system --uid 10001 --gid opstage --no-create-home opstage \
 && mkdir -p /app/data /app/.next/cache \
 && chown opstage:opstage /app/data /app/.next/cache
# Application files stay owned by root (read-only to the app); only the data volume and Next's
# cache (where `serve` also keeps Node's compile cache) are writable by the opstage user.
COPY --from=build /app/.next/standalone/ ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/dist/cli/ ./
COPY --from=build /app/dist/snapshot-worker.cjs ./dist/snapshot-worker.cjs
COPY --from=build /app/dist/opstage-check.so ./dist/opstage-check.so
COPY --from=build /app/dist/inspect-worker.cjs ./dist/inspect-worker.cjs
# Litestream v0.3.13 (static), from the pinned npm package @flydotio/litestream-linux-x64.
COPY --from=build /app/node_modules/@flydotio/litestream-linux-x64/litestream ./bin/litestream
USER opstage
VOLUME /app/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.OPSTAGE_PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Validates OPSTAGE_* and starts server.js; Docker's SIGTERM makes it checkpoint the WAL and exit.
CMD ["node", "cli.mjs", "serve"]
