// The API process: listens until SIGINT/SIGTERM.
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config.js';
import { createLogger } from '../logging.js';
import { connectDatabase } from '../store/connection.js';
import { createApp } from './app.js';

const config = loadConfigOrExit(process.env);
const logger = createLogger(config.logLevel);
const db = await connectDatabase(config.mongodbUri);
// Lazy: the API starts and answers 503 while Temporal is away, and reconnects by itself.
// gRPC's reconnect backoff grows to 120 s while requests keep failing, so after a long outage the
// API went on answering 503 for up to two minutes once Temporal was back; cap it at 2 s.
const connection = Connection.lazy({ address: config.temporal.address, channelArgs: { 'grpc.max_reconnect_backoff_ms': 2000 } });
const temporal = new Client({ connection, namespace: config.temporal.namespace });
const server = createApp({ config, db, temporal, logger }).listen(config.api.port, '0.0.0.0', () => {
  logger.info(`API listening on http://127.0.0.1:${config.api.port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(async () => {
      await Promise.all([connection.close(), db.close()]);
      process.exit(0);
    });
  });
}
