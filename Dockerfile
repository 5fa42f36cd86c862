# firebreak as a container image: build the TypeScript, then ship only the compiled code and runtime
# dependencies, running as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /opt/firebreak
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY schema ./schema
COPY probes ./probes
COPY experiments ./experiments
RUN ln -s /opt/firebreak/bin/firebreak.js /usr/local/bin/firebreak \
 && useradd --system --uid 10001 --home-dir /work --create-home firebreak
USER firebreak
WORKDIR /work
# The ledger lives in the working directory: mount a volume at /work to keep it across containers,
# so `firebreak recover` can find what a killed container left behind.
VOLUME ["/work"]
ENTRYPOINT ["firebreak"]
CMD ["--help"]
