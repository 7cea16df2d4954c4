# syntax=docker/dockerfile:1
#
# Todo API image: NestJS 12 (ESM, Fastify) on Node 24 (the current LTS), multi-stage.
#
#   docker build -t todo-api .
#   docker run --rm -p 3000:3000 \
#     -e DATABASE_URL=postgres://user:pass@host:5432/db \
#     -v "$PWD/keys:/app/keys:ro" todo-api
#
# Keys: the image never contains key material (.dockerignore drops *.pem). Mount a directory holding
# access-private.pem, access-public.pem, refresh-private.pem and refresh-public.pem at /app/keys
# (KEYS_DIR); with TOKEN_FORMAT=paseto, the paseto-access-*.pem and paseto-refresh-*.pem pairs. With NODE_ENV=production the service refuses to start without them; it never generates
# keys in the container. The files must be readable by the `node` user (uid 1000).
#
# Database: DATABASE_URL must always be set in the container. The embedded PostgreSQL (used only when
# DATABASE_URL is unset) is for local development; its platform binaries (@embedded-postgres/*) are
# optional dependencies and are left out of the runtime image (--omit=optional), saving about 60 MB.

ARG NODE_VERSION=24

# ---- base: Node 24 ships npm 11, which honours package.json "allowScripts" (the bcrypt and esbuild
#      install scripts are approved there).
FROM node:${NODE_VERSION}-bookworm-slim AS base
WORKDIR /app

# ---- deps: every dependency (dev included) exactly as the lockfile says
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build: nest build -> dist/
FROM deps AS build
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: runtime dependencies only (bcrypt loads its prebuilt linux glibc binary, no compiler needed)
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    KEYS_DIR=/app/keys
WORKDIR /app
# Application files stay owned by root (read-only to the service user).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json carries "type": "module", which dist/*.js needs to load as ESM.
COPY package.json ./
# Mount point for the keys (see the top of this file); empty in the image.
RUN mkdir -p /app/keys && chown node:node /app/keys
USER node
EXPOSE 3000
# No curl in slim images: probe /health with Node's fetch. 200 only when the database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# main.ts handles SIGTERM itself (drains in-flight requests), so node can run as PID 1.
# The same flags as `npm run start:prod` (a unit test keeps them equal): a heap bound, without which
# V8 grows the heap towards a limit sized for the whole host (~300 MB of RSS under load); and no
# allocation-site pretenuring, which under load moved whole requests into the old generation
# (20 ms scavenges, a major GC every half second; README, Performance).
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=16", "--no-allocation-site-pretenuring", "--import=./dist/tracing/instrument.js", "dist/main.js"]
