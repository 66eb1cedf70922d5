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
# LANG: a UTF-8 locale for the embedded PostgreSQL's first initdb and for the app's messages.
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    LANG=C.UTF-8
WORKDIR /app
# curl for the HEALTHCHECK; tini as PID 1, to pass signals on and reap what the embedded PostgreSQL
# leaves if it dies; the embedded PostgreSQL (used when DATABASE_URL is unset) ships its own libraries,
# and runs as a batch task through util-linux's chrt, which the base image has (ADR 0006). The app
# user's home is its own, so `docker exec … node bin/pillar-loop.js status` can keep its last verdict.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app \
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
# SIGTERM (passed on by tini) triggers the graceful shutdown (stop claiming, drain handlers, stop the
# database), which takes up to SHUTDOWN_TIMEOUT_MS (10 s) and then the database's own stop: give the
# container more than Docker's default 10 s (`docker stop -t 30`, `stop_grace_period: 30s`).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
