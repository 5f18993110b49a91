import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { mountQueueDashboard } from './queue-dashboard/queue-dashboard';

/**
 * Builds the API application the same way for `main.ts` and the tests: pino as the
 * Nest logger, so every line is JSON with the request id.
 */
export async function createApi(options: AppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  mountQueueDashboard(app);
  return app;
}
