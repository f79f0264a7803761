# The Closedloop API and worker (one image; docker-compose.yml picks the process with its command).
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
COPY api ./api
COPY worker ./worker

USER node
EXPOSE 3000
# What `npm run api` runs, without npm in between: npm passes SIGTERM only to its `sh -c`, which
# dies without passing it on, so the app would be killed without its graceful shutdown.
# tsx passes signals to the app and waits for it.
CMD ["tsx", "api/main.ts"]
