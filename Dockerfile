# syntax=docker/dockerfile:1
# One image for every role: APP_ROLE=api|worker|all picks what a container runs.

# --- build: dev dependencies, compile, then drop the dev dependencies ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: none is needed (bullmq's msgpackr has a JS fallback, SWC ships prebuilt
# binaries), and the image's npm 10 does not read package.json's allowScripts.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

# --- runtime: compiled code and production dependencies only, as an unprivileged user ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
# SIGTERM drains: new requests get 503, in-flight ones finish, handlers get SHUTDOWN_GRACE_MS.
# Keep the orchestrator's stop timeout above SHUTDOWN_GRACE_MS (docker-compose.yml: stop_grace_period).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node as PID 1 is fine here: main.ts handles SIGTERM/SIGINT itself and exits 0 after draining.
CMD ["node", "dist/src/app/main.js"]
