# syntax=docker/dockerfile:1
# One production image: build with dev dependencies, run with production ones only.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
# Everything the TypeScript build includes (see .dockerignore for what stays out).
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
# curl for the HEALTHCHECK; the embedded PostgreSQL (used when DATABASE_URL is unset) ships its own libraries,
# and runs as a batch task through util-linux's chrt, which the base image has (ADR 0006).
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system app && useradd --system --gid app --home /app app \
 && mkdir -p /data && chown app:app /data
COPY --from=deps /app/node_modules ./node_modules
# dist holds the compiled service and the built console (dist/console, served at /console).
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# The command line (`docker exec <container> node bin/pillar-loop.js status`, with PILLAR_LOOP_URL/KEY).
COPY bin ./bin
USER app
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health/ready" || exit 1
# SIGTERM triggers the graceful shutdown (stop claiming, drain handlers, stop the database).
CMD ["node", "dist/src/main.js"]
