import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config/app-config';
import { resolveDatabaseUrl, runMigrations } from './database/database-url';
import { createHttpAdapter, EVERY_INTERFACE } from './http/http-server';
import { exitGracefullyOn } from './lifecycle/exit-gracefully';
import { useJsonBootLogger } from './observability/boot-logger';
import { createLogger, NestPinoLogger } from './observability/logging';
import { WorkerModule } from './worker.module';

const logger = new Logger('Worker');

/**
 * `npm run start:worker`: the job workers alone (production runs the API with
 * WORKERS_IN_PROCESS=false and one or more of these). It serves /health/live,
 * /health/ready and /metrics on WORKER_HEALTH_PORT. SIGTERM/SIGINT: stop taking jobs,
 * let the jobs in flight finish, then exit 0.
 */
async function main() {
  useJsonBootLogger();
  const config = loadConfig();
  const database = await resolveDatabaseUrl(config);
  if (config.RUN_MIGRATIONS) await runMigrations(database.url, config.DATABASE_APP_ROLE);
  const pino = createLogger(config);
  const app = await NestFactory.create<NestFastifyApplication>(WorkerModule.forRoot(config, database.url), createHttpAdapter(config, pino), {
    bufferLogs: true,
  });
  app.useLogger(new NestPinoLogger(pino));
  await app.listen(config.WORKER_HEALTH_PORT, EVERY_INTERFACE);
  const { port } = app.getHttpServer().address() as AddressInfo;
  exitGracefullyOn(logger, async () => {
    await app.close(); // workers finish their jobs, then the pool closes
    await database.stop();
  });
  logger.log(`文明银行 worker running (health and metrics on :${port})`);
  if (process.send) process.send({ ready: true, port });
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
