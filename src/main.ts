import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApi } from './api';
import { ConfigError, loadConfig } from './config/app-config';
import { resolveDatabaseUrl, runMigrations } from './database/database-url';

const logger = new Logger('Main');

async function main() {
  const config = loadConfig();
  const database = await resolveDatabaseUrl(config);
  if (config.RUN_MIGRATIONS) {
    const applied = await runMigrations(database.url);
    if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`);
  }
  const app = await createApi({ config, databaseUrl: database.url });
  await app.listen(config.PORT);
  logger.log(`文明银行 API listening on http://localhost:${config.PORT}/graphql (${config.NODE_ENV})`);
  exitGracefullyOn(['SIGTERM', 'SIGINT'], async (signal) => {
    logger.log(`${signal}: finishing in-flight work`);
    await app.close(); // drains HTTP (HttpDrain), then workers, then the database pool
    await database.stop();
  });
}

/**
 * Nest's own shutdown hooks re-raise the signal after closing, so a clean stop and a
 * kill look alike from outside; we exit 0 after a complete close, 1 if closing failed.
 */
function exitGracefullyOn(signals: NodeJS.Signals[], close: (signal: NodeJS.Signals) => Promise<void>) {
  let closing = false;
  for (const signal of signals) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      close(signal).then(
        () => process.exit(0),
        (error) => {
          logger.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  process.exit(1);
});
