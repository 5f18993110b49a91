import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { seedTownship } from '../support/factories';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { grantAdmin } from '../support/roles';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** Jest reports a worker that outlives its tests by a second; the old ioredis leak held one for 2 s. */
const EXIT_WITHIN_MS = 1000;

/**
 * `app.close()` leaves nothing behind: a process that booted the API, used its Redis
 * connections (queues, rate-limit counters, readiness), its in-process workers and the
 * principal cache's LISTEN connection, and closed it, exits on its own straight away — no
 * timer, socket or connection keeps it alive (what made Jest force-exit its workers).
 */
describe('closing the application', () => {
  let db: TestDatabase;
  const prefix = testQueuePrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await removeQueueKeys(prefix);
    await db?.drop();
  });

  it('leaves nothing that keeps the process alive', async () => {
    const town = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 1 });
    const mobile = await grantAdmin(db.dataSource, town.id);
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../support/boot-and-close.ts')], {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, MOBILE: mobile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let closedAt: number | undefined;
    let stillActive = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      const line = /^closed (.*)$/m.exec(output);
      if (line && closedAt === undefined) {
        closedAt = Date.now();
        stillActive = line[1];
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d));
    // Compiling the service on the fly takes long on a loaded machine; the exit is what is timed.
    const killer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    const code = await new Promise<number | string>((resolve) => child.once('exit', (c, signal) => resolve(c ?? signal ?? 'unknown')));
    const exitedAt = Date.now();
    clearTimeout(killer);

    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(closedAt).toBeDefined();
    // On failure, what was still open when close() returned says where to look.
    expect({ exitedWithinMs: exitedAt - closedAt! <= EXIT_WITHIN_MS, stillActive }).toEqual({ exitedWithinMs: true, stillActive });
  }, 120_000);
});
