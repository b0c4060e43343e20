# Disk-Controller on Temporal. glibc base: Temporal's native core does not load on Alpine/musl.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
# tsc, then client-node's tree-shaken bundle over its plain re-export (scripts/bundle-client-node.ts: ~50 MiB less RSS),
# then the workflow bundle the workers load instead of bundling at start.
RUN npx tsc -p tsconfig.build.json && node dist/scripts/bundle-client-node.js && node dist/scripts/build-workflow-bundle.js dist/workflow-bundle.js && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# A ceiling for each V8 heap (main and workflow threads). Besides the limit, it makes V8 grow a heap ~1.5x past its
# live set instead of up to 4x: at 10,000 volumes, 744 MiB RSS instead of 880 (README, Performance -> W2).
# deploy/deployment.yaml sets the same; raise both together for clusters far beyond that size. --max-semi-space-size=8
# halves the main thread's young generation (16 MiB instead of 32: W1 ~250 MiB RSS instead of ~265, for ~1 s more of
# scavenges over W1 and W3; README, Performance -> v0.19.0). The workflow threads keep their own (WORKFLOW_THREAD_YOUNG_MB).
ENV NODE_OPTIONS="--max-old-space-size=800 --max-semi-space-size=8"
# glibc's malloc arenas: 2 instead of up to 8 per core (Node, V8 and the Temporal core run many threads); less
# memory lost to fragmentation, no CPU cost measured (README, Performance -> v0.15.0). Same in the Deployment.
ENV MALLOC_ARENA_MAX=2
# glibc's mmap threshold fixed at its starting 128 KiB: glibc otherwise raises it (up to 32 MiB) each time a large
# block is freed, and then keeps such blocks in the heap, where they are rarely given back. Fixed, they are mapped
# and unmapped on their own: ~20 MiB less at 1,000 volumes and ~70 MiB at 10,000, no loss of rate measured (README,
# Performance -> v0.16.0). Same in the Deployment.
ENV MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
COPY scripts/versions.sh ./scripts/versions.sh
COPY deploy/crds ./deploy/crds
COPY config ./config
USER node
EXPOSE 9080 9090 9443
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["operator", "--workflow-bundle=/app/dist/workflow-bundle.js", "--config=/app/config/default.yaml"]
