import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { createApi } from '../../../src/api';
import { loadConfig } from '../../../src/config/app-config';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../../support/redis';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { FakeWechat } from '../../support/fake-wechat';

export const WEB_DIST = resolve(__dirname, '../../../web/dist');

export interface WebTestApp {
  app: INestApplication;
  /** The test's own database: `dataSource` as the app role, `asOwner()` for back-dated history. */
  db: TestDatabase;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * The real API with the built app, as production runs it: NODE_ENV=production (no
 * development login, no introspection), connected as the app role with the grants of
 * src/database/app-role-grants.ts (it may append to the ledger, not change it), WeChat
 * at the fake server.
 */
export async function startWebTestApp(wechat: FakeWechat, logs?: DestinationStream): Promise<WebTestApp> {
  if (!existsSync(resolve(WEB_DIST, 'index.html'))) throw new Error(`no built web app at ${WEB_DIST}: run \`npm run build:web\` first (npm test does)`);
  const db = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    JWT_SECRET: randomBytes(48).toString('base64'),
    METRICS_TOKEN: randomBytes(24).toString('hex'),
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: testQueuePrefix(),
    LOG_LEVEL: 'error',
    WEB_DIST_DIR: WEB_DIST,
    WECHAT_API_BASE_URL: wechat.baseUrl,
    WECHAT_WEB_APPID: wechat.webAppid,
    WECHAT_WEB_SECRET: wechat.webSecret,
    // Several phones share 127.0.0.1 and each test user clicks far faster than people do.
    RATE_LIMIT_LOGINS_PER_MINUTE: '100000',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '1000000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
  });
  const app = await createApi({ config, databaseUrl: config.DATABASE_URL! }, logs);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    db,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await removeQueueKeys(config.QUEUE_PREFIX);
      await db.drop();
    },
  };
}
