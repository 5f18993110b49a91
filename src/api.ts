import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { mountQueueDashboard } from './queue-dashboard/queue-dashboard';
import { mountWebApp } from './web-app/web-app';

/**
 * Builds the API application the same way for `main.ts` and the tests: pino as the
 * Nest logger, so every line is JSON with the request id.
 */
export async function createApi(options: AppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // Names the framework to every prober; nothing needs it.
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  const { TRUST_PROXY } = options.config;
  if (TRUST_PROXY) app.getHttpAdapter().getInstance().set('trust proxy', /^\d+$/.test(TRUST_PROXY) ? Number(TRUST_PROXY) : TRUST_PROXY);
  mountQueueDashboard(app);
  mountWebApp(app, options.config.WEB_DIST_DIR);
  return app;
}
