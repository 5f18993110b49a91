import { INestApplication } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { createApi } from '../../src/api';
import { loadConfig } from '../../src/config/app-config';
import { runMigrations } from '../../src/database/database-url';
import { startThrowawayPostgres, startThrowawayRedis, ThrowawayService } from '../support/throwaway-services';
import { waitFor } from '../support/wait-for';

/**
 * Readiness follows PostgreSQL and Redis down and back up. Both servers are the test's
 * own (throwaway, own ports): the machine's shared ones keep serving other tests.
 */
describe('health endpoints', () => {
  let postgres: ThrowawayService;
  let redis: ThrowawayService;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startThrowawayPostgres(), startThrowawayRedis()]);
    await runMigrations(postgres.url);
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: postgres.url, REDIS_URL: redis.url, LOG_LEVEL: 'silent' });
    app = await createApi({ config, databaseUrl: postgres.url });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
  });

  const get = async (path: string) => {
    const response = await fetch(base + path);
    return { status: response.status, body: (await response.json()) as any };
  };

  it('is live and ready when both services answer', async () => {
    expect((await get('/health/live')).status).toBe(200);
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, queue: { status: 'up' } });
  });

  it('reports PostgreSQL down while it is stopped, and up once it is back', async () => {
    await postgres.stop();
    try {
      const down = await get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body.details.database.status).toBe('down');
      expect(down.body.details.queue.status).toBe('up');
      expect((await get('/health/live')).status).toBe(200);
    } finally {
      // Back even when an expectation failed, so the next test and afterAll find it up.
      await postgres.start();
    }
    await waitFor('readiness to come back', async () => (await get('/health/ready')).status === 200);
  });

  it('reports Redis down while it is stopped, and up once it is back', async () => {
    await redis.stop();
    try {
      const down = await get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body.details.queue.status).toBe('down');
      expect(down.body.details.database.status).toBe('up');
    } finally {
      // Back even when an expectation failed: app.close() in afterAll never ends while Redis
      // is down (a BullMQ worker waits for its blocking connection to end), and its
      // reconnecting clients kept Jest's worker alive.
      await redis.start();
    }
    await waitFor('readiness to come back', async () => (await get('/health/ready')).status === 200);
  });
});
