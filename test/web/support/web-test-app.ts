import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { createApi } from '../../../src/api';
import { loadConfig } from '../../../src/config/app-config';
import { ADMIN_URL } from '../../support/postgres';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../../support/redis';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { FakeWechat } from '../../support/fake-wechat';

export const WEB_DIST = resolve(__dirname, '../../../web/dist');

export interface WebTestApp {
  app: INestApplication;
  /** The test's own connection (the owner's), for set-up. */
  db: TestDatabase;
  baseUrl: string;
  close(): Promise<void>;
}

async function adminRun(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The real API with the built app, as production runs it: NODE_ENV=production (no
 * development login, no introspection), connected as an app role with the README's
 * grants (it may append to the ledger, not change it), WeChat at the fake server.
 */
export async function startWebTestApp(wechat: FakeWechat): Promise<WebTestApp> {
  if (!existsSync(resolve(WEB_DIST, 'index.html'))) throw new Error(`no built web app at ${WEB_DIST}: run \`npm run build:web\` first (npm test does)`);
  const db = await createTestDatabase();
  const role = `cb_test_webapp_${randomBytes(4).toString('hex')}`;
  const dbUrl = new URL(db.url);
  await adminRun(ADMIN_URL, `CREATE ROLE ${role} LOGIN PASSWORD 'secret'`);
  // The README's grants (section "Database roles"), verbatim but for the names.
  await adminRun(
    db.url,
    `GRANT CONNECT ON DATABASE "${db.name}" TO ${role};
     GRANT USAGE ON SCHEMA public TO ${role};
     GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
     REVOKE UPDATE, DELETE, TRUNCATE ON account, account_balance, journal_entry, posting, ledger_period, account_period_balance FROM ${role};
     REVOKE INSERT, UPDATE, DELETE ON typeorm_migration FROM ${role};
     GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};`,
  );
  dbUrl.username = role;
  dbUrl.password = 'secret';
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl.toString(),
    JWT_SECRET: randomBytes(32).toString('hex'),
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: testQueuePrefix(),
    LOG_LEVEL: 'error',
    WEB_DIST_DIR: WEB_DIST,
    WECHAT_API_BASE_URL: wechat.baseUrl,
    WECHAT_WEB_APPID: wechat.webAppid,
    WECHAT_WEB_SECRET: wechat.webSecret,
    RATE_LIMIT_LOGINS_PER_MINUTE: '100000',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '1000000',
  });
  const app = await createApi({ config, databaseUrl: config.DATABASE_URL! });
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
      await adminRun(ADMIN_URL, `DROP ROLE IF EXISTS ${role}`);
    },
  };
}
