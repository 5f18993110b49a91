import { AddressInfo } from 'node:net';
import { createApi } from '../../src/api';
import { loadConfig } from '../../src/config/app-config';

/**
 * Run as a child process by test/ops/clean-exit.test.ts: boots the API (in-process workers,
 * Redis queues and rate-limit counters, the principal cache's LISTEN connection), uses each
 * of them once, closes the application and returns without calling process.exit. It prints
 * `closed <json>` (the resources still keeping the event loop alive at that moment); the
 * process must then exit on its own at once.
 *
 * Environment: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, MOBILE (a township admin's, for devLogin).
 */
async function main() {
  const env = process.env;
  const config = loadConfig({
    NODE_ENV: 'test',
    DEV_LOGIN_ENABLED: 'true',
    LOG_LEVEL: 'silent',
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
  });
  const app = await createApi({ config, databaseUrl: config.DATABASE_URL! });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const gql = async (query: string, variables: object, token?: string) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const token = (await gql(`mutation($m: String!) { devLogin(mobile: $m) { accessToken } }`, { m: env.MOBILE })).devLogin.accessToken;
  // Twice: the second is served by the principal cache, through its listener.
  for (let i = 0; i < 2; i++) await gql(`{ me { name } }`, {}, token);
  const ready = await fetch(`${base}/health/ready`);
  if (ready.status !== 200) throw new Error(`not ready: ${await ready.text()}`);
  const dashboard = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${token}` } });
  if (dashboard.status !== 200) throw new Error(`queue dashboard answered ${dashboard.status}`);

  await app.close();
  process.stdout.write(`closed ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
