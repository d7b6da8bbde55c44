# destination-sqs: an Airbyte destination that publishes records to Amazon SQS.
#
#   docker build -t destination-sqs:dev .
#   docker run --rm -i destination-sqs:dev spec
#
# Two stages: the first bundles the TypeScript with the dev dependencies, the second holds only
# what runs (dist/, spec.json, package.json, production node_modules), as the unprivileged
# `node` user.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 (the snapshot store) is a native addon: npm fetches a prebuilt binary when it can
# reach GitHub, and otherwise compiles it, which needs Python, make and a C++ compiler. Only this
# stage has them.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json spec.json ./
COPY scripts/generate.ts scripts/generate-spec-validator.ts scripts/generate-acceptance-spec.ts scripts/spec-validator-source.ts scripts/write-if-changed.ts scripts/bundle.ts ./scripts/
COPY src ./src
# Type declarations and source maps are of no use at run time (the sources are not shipped),
# so they are dropped with the dev dependencies (and the scope folders those leave empty). Of
# better-sqlite3 only the compiled addon is needed: its C sources and build intermediates are 26 MB.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
 && find dist node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete \
 && find node_modules -mindepth 1 -type d -empty -delete \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && find node_modules/better-sqlite3/build -mindepth 1 -maxdepth 1 -not -name Release -exec rm -rf {} + \
 && find node_modules/better-sqlite3/build/Release -mindepth 1 -not -name better_sqlite3.node -exec rm -rf {} +

FROM ${NODE_IMAGE}
# Airbyte reads the connector's version from this label; docker-test.sh passes package.json's.
ARG VERSION=0.1.0
WORKDIR /airbyte/integration_code
COPY --from=build /build/package.json /build/spec.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY docker/entrypoint.sh ./entrypoint.sh
# Airbyte mounts /local into destination containers; the snapshot store (change_detection
# "snapshot") defaults to /local/destination-sqs, so the node user must be able to write there.
RUN mkdir -p /local/destination-sqs && chown -R node:node /local

# The heap: docker/entrypoint.sh gives V8 half of the container's memory limit, read at start
# (V8's own default ignores a small limit: about 300 MB of heap under a 300 MB limit, so the kernel
# would kill the process before V8 collects garbage). Without a limit the heap is 1536 MiB rather
# than V8's size from the machine's memory, which lets garbage pile up (docs/airbyte.md, Memory).
# The connector's memory is bounded by backpressure (stdin is read only as fast as SQS accepts).
# To choose the heap yourself: -e NODE_OPTIONS="--max-old-space-size=<MiB> --max-semi-space-size=16".
# A 16 MiB young generation (semi-space), pinned because V8's default varies by version: a row waits
# in the delivery buffer for tens of ms, and a smaller young generation promotes it to the old one
# before SQS answers. 16 costs about 20 MB of RSS over 8 and saves about 15% of CPU with snapshot
# change detection (npm run bench uses these options).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=16" \
    AIRBYTE_ENTRYPOINT="/airbyte/integration_code/entrypoint.sh"
ENTRYPOINT ["/airbyte/integration_code/entrypoint.sh"]

LABEL io.airbyte.name="airbyte/destination-sqs" \
      io.airbyte.version="${VERSION}"

# Numeric, so Kubernetes' runAsNonRoot can verify it: uid 1000 is the image's `node` user.
USER 1000:1000
