import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { migrations } from '../../migrations';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { adminQuery, APP_ROLE, databaseUrl, dropDatabase, ensureTestRoles, OWNER_ROLE } from '../support/postgres';
import { killChildProcesses, trackChildProcess } from '../support/child-processes';
import { spawnService } from '../support/service-process';
import { startWorkerProcess } from '../support/worker-process';

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

  beforeAll(async () => {
    await ensureTestRoles();
    await adminQuery(`CREATE DATABASE "${name}" OWNER ${OWNER_ROLE}`);
  });
  afterAll(async () => {
    // A step that failed or timed out leaves its processes (the CLI, the API or the worker,
    // even one still starting) running: they go before their database does.
    await killChildProcesses();
    await removeQueueKeys(prefix);
    await dropDatabase(name);
  });

  it('migrates once, then starts the API and the worker, which report ready', async () => {
    const node = (args: string[], extraEnv: Record<string, string>) => {
      const run = promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', ...args], { env: { ...process.env, ...env, ...extraEnv } });
      trackChildProcess(run.child);
      return run;
    };
    const cli = (args: string[]) => node([resolve('src/cli.ts'), ...args], { DATABASE_URL: databaseUrl(name, OWNER_ROLE), DATABASE_APP_ROLE: APP_ROLE });
    const first = await cli(['migrate']);
    expect(first.stdout).toContain(`applied: ${migrations.map((m) => m.name).join(', ')}`);
    expect(first.stdout).toContain(`granted ${APP_ROLE} the app role's privileges`);
    expect((await cli(['migrate'])).stdout).toMatch(/database is up to date/);

    // Production refuses to start without its required settings, naming them.
    const missing = await node([resolve('src/main.ts')], { JWT_SECRET: '' }).catch((e: { stderr: string; code: number }) => e);
    expect((missing as { code: number }).code).toBe(1);
    expect((missing as { stderr: string }).stderr).toMatch(/JWT_SECRET: is required when NODE_ENV=production/);

    // If one fails to start, afterAll kills the other (started or not).
    const [api, worker] = await Promise.all([
      spawnService('src/main.ts', { ...env, WORKERS_IN_PROCESS: 'false' }),
      startWorkerProcess({ ...env, WORKER_HEALTH_PORT: '0' }),
    ]);
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
    try {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM typeorm_migration`);
      expect(rows[0].n).toBe(migrations.length);
    } finally {
      await client.end();
    }

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await worker.stop()).toBe(0);
  }, 120_000);
});
