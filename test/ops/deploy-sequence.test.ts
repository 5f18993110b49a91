import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { migrations } from '../../migrations';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { adminQuery, APP_ROLE, databaseUrl, dropDatabase, ensureTestRoles, OWNER_ROLE } from '../support/postgres';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * What docker/compose.yml does, with the machine's PostgreSQL and Redis: the one-shot
 * `migrate` (cli.js migrate) as the owner role on an empty database, granting the app
 * role (DATABASE_APP_ROLE), then the API (production, WORKERS_IN_PROCESS=false,
 * RUN_MIGRATIONS off) and a worker process as the app role, both ready.
 */
describe('deployment start-up sequence', () => {
  const name = `cb_test_deploy_${process.pid}_${Date.now()}`;
  const prefix = testQueuePrefix();
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl(name, APP_ROLE),
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    JWT_SECRET: randomBytes(32).toString('base64'),
    METRICS_TOKEN: randomBytes(16).toString('hex'),
    LOG_LEVEL: 'warn',
  };
  let api: ServiceProcess | undefined;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    await ensureTestRoles();
    await adminQuery(`CREATE DATABASE "${name}" OWNER ${OWNER_ROLE}`);
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    await worker?.stop();
    await removeQueueKeys(prefix);
    await dropDatabase(name);
  });

  it('migrates once, then starts the API and the worker, which report ready', async () => {
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', resolve('src/cli.ts'), ...args], {
        env: { ...process.env, ...env, DATABASE_URL: databaseUrl(name, OWNER_ROLE), DATABASE_APP_ROLE: APP_ROLE },
      });
    const first = await cli(['migrate']);
    expect(first.stdout).toContain(`applied: ${migrations.map((m) => m.name).join(', ')}`);
    expect(first.stdout).toContain(`granted ${APP_ROLE} the app role's privileges`);
    expect((await cli(['migrate'])).stdout).toMatch(/database is up to date/);

    // Production refuses to start without its required settings, naming them.
    const missing = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', resolve('src/main.ts')], {
      env: { ...process.env, ...env, JWT_SECRET: '' },
    }).catch((e: { stderr: string; code: number }) => e);
    expect((missing as { code: number }).code).toBe(1);
    expect((missing as { stderr: string }).stderr).toMatch(/JWT_SECRET: is required when NODE_ENV=production/);

    // Each kept as soon as it is up, so afterAll stops it even if the other fails to start.
    await Promise.all([
      spawnService('src/main.ts', { ...env, WORKERS_IN_PROCESS: 'false' }).then((started) => (api = started)),
      startWorkerProcess({ ...env, WORKER_HEALTH_PORT: '0' }).then((started) => (worker = started)),
    ]);
    if (!api || !worker) throw new Error('unreachable: both started');
    expect((await fetch(`${api.baseUrl}/health/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${worker.port}/health/ready`)).status).toBe(200);
    // Development login is refused in production.
    const login = await fetch(`${api.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { devLogin(mobile: "13800000001") { status } }' }),
    });
    expect(((await login.json()) as any).errors[0].extensions.code).toBe('DEV_LOGIN_DISABLED');

    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM typeorm_migration`);
    await client.end();
    expect(rows[0].n).toBe(migrations.length);

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await worker.stop()).toBe(0);
  }, 120_000);
});
