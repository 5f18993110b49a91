import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, Server } from 'node:http';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/app-config';
import { resolveDatabaseUrl, runMigrations } from './database/database-url';
import { WorkerModule } from './worker.module';

const logger = new Logger('Worker');

/**
 * `npm run start:worker`: the job workers alone (production runs the API with
 * WORKERS_IN_PROCESS=false and one or more of these). SIGTERM/SIGINT stop taking
 * jobs, let the jobs in flight finish, then exit.
 */
async function main() {
  const config = loadConfig();
  const database = await resolveDatabaseUrl(config);
  if (config.RUN_MIGRATIONS) await runMigrations(database.url);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, database.url));
  const health = await serveHealth(config.WORKER_HEALTH_PORT, async () => {
    await app.get(DataSource).query('SELECT 1');
  });
  // Graceful stop: workers take no new job, finish the ones in flight, then we exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: finishing jobs in flight`);
      health.close();
      app
        .close()
        .then(() => database.stop())
        .then(
          () => process.exit(0),
          (error) => {
            logger.error(`shutdown failed: ${error}`);
            process.exit(1);
          },
        );
    });
  }
  logger.log(`文明银行 worker running (health on :${(health.address() as { port: number }).port}/health)`);
  if (process.send) process.send({ ready: true });
}

/** A tiny `/health` (and `/health/ready`) endpoint for the container's health check. */
function serveHealth(port: number, check: () => Promise<void>): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/health' && req.url !== '/health/ready') {
      res.writeHead(404).end();
      return;
    }
    check().then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'),
      (error) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: String(error) })),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
