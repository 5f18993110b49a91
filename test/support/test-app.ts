import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { createApi } from '../../src/api';
import { loadConfig } from '../../src/config/app-config';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from './redis';
import { createTestDatabase, TestDatabase } from './test-database';

export interface GqlResponse<T = any> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown }; path?: string[] }[];
}

export interface TestApp {
  app: NestFastifyApplication;
  db: TestDatabase;
  url: string;
  /** POSTs a GraphQL operation over real HTTP. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

/**
 * The real service on its own fresh database, listening on a random port, with its
 * job queues on the machine's Redis under a queue prefix of its own (removed on close).
 * It connects as the app role, as in production; `connectAs: 'owner'` is for the
 * PostgreSQL queue backend (no Redis), which creates its own schema and so runs as the
 * owner, as it does in the embedded development mode. Its log lines go to `logs` if
 * given (stdout otherwise). Given `database` (another app's), it is a second API process on
 * the same database, and leaves dropping it to that app.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  { connectAs = 'app', logs, database }: { connectAs?: 'app' | 'owner'; logs?: DestinationStream; database?: TestDatabase } = {},
): Promise<TestApp> {
  const db = database ?? (await createTestDatabase());
  const databaseUrl = connectAs === 'owner' ? db.ownerUrl : db.url;
  const config = loadConfig({
    NODE_ENV: 'test',
    DEV_LOGIN_ENABLED: 'true',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'error',
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: testQueuePrefix(),
    // Tests log in and write far faster than people; the rate-limit tests set their own.
    RATE_LIMIT_LOGINS_PER_MINUTE: '100000',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '1000000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
    ...env,
  });
  const app = await createApi({ config, databaseUrl }, logs);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    app,
    db,
    url,
    async gql(query, variables, token) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GqlResponse;
    },
    async close() {
      await app.close();
      if (config.REDIS_URL) await removeQueueKeys(config.QUEUE_PREFIX);
      if (!database) await db.drop();
    },
  };
}

/** Logs in through the development login and returns the access token. */
export async function devLogin(t: TestApp, mobile: string): Promise<string> {
  const res = await t.gql(`mutation($m: String!) { devLogin(mobile: $m) { status accessToken } }`, { m: mobile });
  if (!res.data?.devLogin?.accessToken) throw new Error(`devLogin failed: ${JSON.stringify(res)}`);
  return res.data.devLogin.accessToken;
}

export function errorCode(res: GqlResponse): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}
