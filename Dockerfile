# The Closedloop API and worker (one image; docker-compose.yml picks the process with its command).

# The marketer's console: built apart (its own npm project, dev tools included), only its static files kept.
FROM node:20-bookworm-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/index.html console/tsconfig.json console/vite.config.ts ./
COPY console/src ./src
RUN npm run build

FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so source edits reuse this layer. tsx, which runs the TypeScript sources,
# is a runtime dependency in package.json, so dev dependencies (tests, type checker) are left out.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
ENV PATH=/app/node_modules/.bin:$PATH

COPY tsconfig.json config.ts logging.ts ./
COPY workflows ./workflows
COPY activities ./activities
COPY store ./store
COPY signing ./signing
COPY api ./api
COPY worker ./worker
# Served by the API at /console (api/console/router.ts).
COPY --from=console /console/dist ./console/dist

# CSV uploads between the API and the workers (IMPORT_DIR in docker-compose.yml): a new volume takes this directory's owner.
RUN mkdir -p /imports && chown node:node /imports
USER node
EXPOSE 3000
# What `npm run api` runs, without npm in between: npm passes SIGTERM only to its `sh -c`, which
# dies without passing it on, so the app would be killed without its graceful shutdown.
# tsx passes signals to the app and waits for it.
CMD ["tsx", "api/main.ts"]
