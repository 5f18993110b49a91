import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { AppModule, AppOptions } from './app.module';
import { mountGraphiql } from './graphql/graphiql';
import { createHttpAdapter } from './http/http-server';
import { createLogger, NestPinoLogger } from './observability/logging';
import { mountQueueDashboard } from './queue-dashboard/queue-dashboard';
import { mountWebApp } from './web-app/web-app';

/**
 * Builds the API application the same way for `main.ts` and the tests: GraphQL on
 * Fastify, with one pino logger for the HTTP server and Nest (JSON lines, masked), on
 * stdout unless the tests give it another destination.
 */
export async function createApi(options: AppOptions, logDestination?: DestinationStream): Promise<NestFastifyApplication> {
  const logger = createLogger(options.config, logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(options), createHttpAdapter(options.config, logger), {
    bufferLogs: true,
  });
  app.useLogger(new NestPinoLogger(logger));
  await mountQueueDashboard(app);
  mountWebApp(app, options.config.WEB_DIST_DIR);
  mountGraphiql(app, options.config.NODE_ENV === 'production');
  return app;
}
