# firebreak as a container image: build the TypeScript on Node 22 LTS, then ship only what runs:
# production dependencies (without their type declarations, source maps and docs), the compiled
# dist/, bin/, schema/, probes/ and experiments/, on a runtime without npm, as a non-root user.
# The code itself also runs on Node 20 (package.json "engines"; CI tests both).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not here yet.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY scripts/build.js ./scripts/build.js
COPY src ./src
RUN npm run build \
 && find dist \( -name '*.d.ts' -o -name '*.map' \) -delete

FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/firebreak
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o \( -name '*.md' ! -iname 'licen[cs]e*' \) \) -delete

FROM ${NODE_IMAGE} AS runtime
# Nothing at run time needs npm, npx, corepack or yarn.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && useradd --system --uid 10001 --home-dir /work --create-home firebreak
ENV NODE_ENV=production
WORKDIR /opt/firebreak
COPY package.json ./
COPY --from=deps /opt/firebreak/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY schema ./schema
COPY probes ./probes
COPY experiments ./experiments
RUN ln -s /opt/firebreak/bin/firebreak.js /usr/local/bin/firebreak
USER firebreak
WORKDIR /work
# The ledger, and the state directory for target claims (~/.local/state/firebreak), live in the
# working directory, the user's home: mount a volume at /work to keep them across containers, so
# `firebreak recover` can find what a killed container left behind.
VOLUME ["/work"]
ENTRYPOINT ["firebreak"]
CMD ["--help"]
