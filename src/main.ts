import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { createApi } from './api';
import { ConfigError, loadConfig } from './config/app-config';
import { resolveDatabaseUrl, runMigrations } from './database/database-url';
import { writeSchemaFile } from './graphql/schema-file';
import { EVERY_INTERFACE } from './http/http-server';
import { exitGracefullyOn } from './lifecycle/exit-gracefully';
import { useJsonBootLogger } from './observability/boot-logger';

const logger = new Logger('Main');

async function main() {
  useJsonBootLogger();
  const config = loadConfig();
  const database = await resolveDatabaseUrl(config);
  const start = async () => {
    if (config.RUN_MIGRATIONS) {
      const applied = await runMigrations(database.url, config.DATABASE_APP_ROLE);
      if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`);
    }
    const app = await createApi({ config, databaseUrl: database.url });
    await app.listen(config.PORT, EVERY_INTERFACE);
    return app;
  };
  // An embedded PostgreSQL runs in a process group of its own: stop it if we cannot start.
  const app = await start().catch(async (error) => {
    await database.stop();
    throw error;
  });
  // `npm run dev` rebuilds without the build script: keep schema.gql (and the web app's types) in step.
  if (config.NODE_ENV === 'development' && writeSchemaFile(app.get(GraphQLSchemaHost).schema)) logger.log('schema.gql updated');
  logger.log(`文明银行 API listening on http://localhost:${config.PORT}/graphql (${config.NODE_ENV})`);
  exitGracefullyOn(logger, async () => {
    await app.close(); // drains HTTP (HttpDrain), then workers, then the database pool
    await database.stop();
  });
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  process.exit(1);
});
