# syntax=docker/dockerfile:1
# Node 24 LTS: better-sqlite3 12 (the last line that still supports the Node 20 development machines)
# declares engines up to Node 25, so the image stays on 24 until the dependency moves.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim
# Set by the release workflow (.github/workflows/release.yaml) from the tag and the commit.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="argocd-hook-alerts" \
      org.opencontainers.image.description="Alerts that say which Argo CD hook Job failed and why: exit reasons, log tails and events, delivered to Slack and email." \
      org.opencontainers.image.source="https://github.com/argocd-hook-alerts/argocd-hook-alerts" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# tini as PID 1 (Debian's package): it reaps the children of kubeconfig exec credential plugins that exit
# after their parent stopped waiting, and forwards SIGTERM to node.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOOK_ALERTS_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080
# The service's memory budget (issue 8: peak RSS < 150 MB with 1,000 queued alerts; the Deployment limit is
# 256Mi). Its live JS heap stays under 40 MiB, but with V8's defaults on a large node the young generation
# alone takes 32 MiB and the old generation grows to ~3x the live heap before a full GC: 240 MiB peak.
# A 1 MiB semi-space and a 128 MiB old-generation ceiling keep the peak near 134 MiB (141 MB) for the same
# run on one event loop, 155 MiB with the pipeline thread (worker.thread, a second heap: README,
# Performance), and two malloc arenas stop glibc from keeping one per thread. bench/ measures the service with exactly
# these settings (test/support/image-runtime.ts reads them from this file); `npm start` uses the same flags.
# For `lint` of very large inputs inside the image, override NODE_OPTIONS.
ENV NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=128" \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY config ./config
COPY samples ./samples
RUN mkdir -p /data && chown 10001:10001 /data
USER 10001:10001
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/cli.js"]
CMD ["serve"]
