import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { Queue } from 'bullmq';
import { monthOf } from '../../src/common/time/shanghai-month';
import { loadConfig } from '../../src/config/app-config';
import { publishTownshipJobId, THEMES_QUEUE } from '../../src/themes/theme.jobs';
import { QueueConnection } from '../../src/jobs/queue-connection';
import { SeededTownship, seedTownship } from '../support/factories';
import { expectLedgerRules } from '../support/ledger-rules';
import { testQueuePrefix } from '../support/redis';
import { grantAdmin } from '../support/roles';
import { waitFor } from '../support/wait-for';
import { spawnService, ServiceProcess } from '../support/service-process';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { startThrowawayRedis, ThrowawayService } from '../support/throwaway-services';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Redis (a server of this test's own, on its own port) is killed and restarted while a
 * worker process is publishing a township's theme lists, one transaction per branch.
 *
 * The guarantee: every branch's list is published exactly once. Redis runs as in
 * production (append-only file, see docker/compose.yml), so a restart keeps the queue: the
 * worker and the API reconnect, and the job in flight completes. A restart that loses the
 * queue (a Redis without persistence) cannot lose a list being published — the database
 * work does not depend on Redis — but can lose a queued request; the admin's re-request
 * is idempotent and publishes exactly what is missing, and the workers re-register the
 * monthly schedule when their connection comes back.
 */
describe('Redis restarted while theme lists are being published', () => {
  let db: TestDatabase;
  let redis: ThrowawayService;
  let api: ServiceProcess | undefined;
  let worker: WorkerProcess | undefined;
  let queue: Queue | undefined;
  const prefix = testQueuePrefix();
  const month = monthOf(new Date());

  beforeAll(async () => {
    [db, redis] = await Promise.all([createTestDatabase(), startThrowawayRedis({ appendOnly: true })]);
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
    // One job at a time, so a second request waits in the queue behind the first.
    // Each kept as soon as it is up, so afterAll stops it even if the other fails to start.
    const started = await Promise.allSettled([
      spawnService('src/main.ts', { ...env, WORKERS_IN_PROCESS: 'false', RUN_MIGRATIONS: 'false', DEV_LOGIN_ENABLED: 'true' }).then((s) => (api = s)),
      startWorkerProcess({ ...env, WORKER_CONCURRENCY: '1' }).then((w) => (worker = w)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    // The test's own view of the queue (it reconnects across the restarts as well).
    queue = QueueConnection.fromConfig(loadConfig({ NODE_ENV: 'test', REDIS_URL: redis.url, QUEUE_PREFIX: prefix }), db.url).queue(THEMES_QUEUE);
  }, 90_000);
  afterAll(async () => {
    await queue?.close();
    await worker?.kill9().catch(() => undefined);
    if (api && api.child.exitCode === null) api.child.kill('SIGKILL');
    await redis?.destroy();
    await db?.drop();
  });

  const gql = async (query: string, variables: object, token?: string) => {
    const response = await fetch(`${api!.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const adminOf = async (town: SeededTownship) =>
    (await gql(`mutation($m: String!) { devLogin(mobile: $m) { accessToken } }`, { m: await grantAdmin(db.dataSource, town.id) })).devLogin.accessToken;
  const publish = async (town: SeededTownship, token: string) =>
    (await gql(`mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal branchesPublished } }`, { t: town.id, m: month }, token))
      .publishThemes;

  /** A township whose branch lists have two township themes, plus one of its own for the first branch. */
  const seedWithThemes = async (branches: number) => {
    const town = await seedTownship(db.dataSource, { branches, residentsPerBranch: 1 });
    await db.dataSource.query(
      `INSERT INTO theme (township_id, branch_id, month, title, suggested_points)
       VALUES ($1, NULL, $3, '平安有我', 2), ($1, NULL, $3, '文明交通', 2), ($1, $2, $3, '本村主题', 1)`,
      [town.id, town.branches[0].id, `${month}-01`],
    );
    return town;
  };

  /**
   * Holds the second branch in publication order (by id): an uncommitted publication row
   * for it makes the worker's insert wait, after the first branch has been published.
   */
  const holdSecondBranch = async (town: SeededTownship) => {
    const held = town.branches.map((b) => b.id).sort((a, b) => (a < b ? -1 : 1))[1];
    const blocker = new Client({ connectionString: db.url });
    blocker.on('error', () => undefined); // terminated by the database's drop if the test fails while holding
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO theme_publication (township_id, branch_id, month) VALUES ($1, $2, $3)`, [town.id, held, `${month}-01`]);
    return {
      release: async () => {
        await blocker.query('ROLLBACK');
        await blocker.end();
      },
    };
  };
  const published = async (town: SeededTownship): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM theme_publication WHERE township_id = $1`, [town.id]))[0].n;
  const workerStuckAfterFirstBranch = (town: SeededTownship) =>
    waitFor('the worker to publish the first branch and wait on the second', async () => {
      const [row] = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
         AND application_name = 'civilization-bank-worker' AND wait_event_type = 'Lock'`,
      );
      return row.n > 0 && (await published(town)) === 1 ? true : undefined;
    });
  const restartRedis = async ({ losingData }: { losingData: boolean }) => {
    // A Redis without persistence comes back empty: emptied here, then restarted.
    if (losingData) execFileSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL'], { stdio: 'pipe' });
    await redis.stop();
    await redis.start();
  };
  /** Every branch has its list once, with the right items; and the ledger rules hold. */
  const expectPublishedOnce = async (town: SeededTownship) => {
    const rows: { branchId: string; publications: number; items: number; positions: number[] }[] = await db.dataSource.query(
      `SELECT b.id AS "branchId",
              (SELECT count(*)::int FROM theme_publication p WHERE p.branch_id = b.id AND p.month = $2) AS publications,
              (SELECT count(*)::int FROM theme_publication_item i WHERE i.branch_id = b.id AND i.month = $2) AS items,
              (SELECT array_agg(i.position::int ORDER BY i.position) FROM theme_publication_item i WHERE i.branch_id = b.id AND i.month = $2) AS positions
       FROM branch b WHERE b.township_id = $1`,
      [town.id, `${month}-01`],
    );
    expect(rows).toHaveLength(town.branches.length);
    for (const row of rows) {
      const expected = row.branchId === town.branches[0].id ? 3 : 2;
      expect({ publications: row.publications, items: row.items, positions: row.positions }).toEqual({
        publications: 1,
        items: expected,
        positions: Array.from({ length: expected }, (_, i) => i + 1),
      });
    }
    await expectLedgerRules(db, town.id);
  };
  const jobState = (town: SeededTownship, alreadyPublished: number) => queue!.getJobState(publishTownshipJobId(town.id, month, alreadyPublished));

  it('with production persistence, the publication in flight completes after the restart, once per branch', async () => {
    const town = await seedWithThemes(40);
    const admin = await adminOf(town);
    const hold = await holdSecondBranch(town);
    expect(await publish(town, admin)).toEqual({ branchesTotal: 40, branchesPublished: 0 });
    await workerStuckAfterFirstBranch(town);

    await restartRedis({ losingData: false });
    await hold.release();

    // The job kept its place across the restart, and the worker finished it after reconnecting.
    await waitFor('the publication job to complete', async () => ((await jobState(town, 0)) === 'completed' ? true : undefined), 30_000);
    const job = await queue!.getJob(publishTownshipJobId(town.id, month, 0));
    expect(job!.returnvalue).toEqual({ townshipId: town.id, month, published: 40 });
    await expectPublishedOnce(town);
    // The monthly schedule survived too.
    expect(await queue!.getJobSchedulersCount()).toBe(1);

    // The API's producer reconnected: a new request is answered (nothing left to queue).
    expect(await publish(town, admin)).toEqual({ branchesTotal: 40, branchesPublished: 40 });
    // Readiness follows the worker's own Redis connection back up (it retries every second).
    await waitFor('the worker to report ready', async () => ((await fetch(`http://127.0.0.1:${worker!.port}/health/ready`)).status === 200 ? true : undefined), 10_000);
  }, 60_000);

  it('a restart that loses the queue: the list in flight still completes, and the re-request publishes what a lost job left', async () => {
    const inFlight = await seedWithThemes(20);
    const queued = await seedWithThemes(10);
    const [adminA, adminB] = [await adminOf(inFlight), await adminOf(queued)];
    const hold = await holdSecondBranch(inFlight);
    await publish(inFlight, adminA);
    await workerStuckAfterFirstBranch(inFlight);
    // The second township's request waits behind the first (one job at a time).
    expect(await publish(queued, adminB)).toEqual({ branchesTotal: 10, branchesPublished: 0 });
    expect(await jobState(queued, 0)).toBe('waiting');

    await restartRedis({ losingData: true });
    expect(await jobState(queued, 0)).toBe('unknown'); // the queued request is gone with the data
    await hold.release();

    // The database work of the job in flight does not need Redis: every list is published.
    await waitFor('the in-flight publication', async () => ((await published(inFlight)) === 20 ? true : undefined), 30_000);
    await expectPublishedOnce(inFlight);
    expect(await published(queued)).toBe(0);

    // The admin sees the month incomplete and asks again: the re-request queues the
    // missing work, and nothing for the township that is complete.
    expect(await publish(inFlight, adminA)).toEqual({ branchesTotal: 20, branchesPublished: 20 });
    expect(await publish(queued, adminB)).toEqual({ branchesTotal: 10, branchesPublished: 0 });
    await waitFor('the re-requested publication', async () => ((await jobState(queued, 0)) === 'completed' ? true : undefined), 30_000);
    await expectPublishedOnce(queued);
    expect(await jobState(inFlight, 20)).toBe('unknown');

    // The worker survived its job vanishing under it, and put the monthly schedule back.
    await waitFor('the monthly schedule to be registered again', async () => ((await queue!.getJobSchedulersCount()) === 1 ? true : undefined), 15_000);
    expect(worker!.child.exitCode).toBeNull();
    // Readiness follows the worker's own Redis connection back up (it retries every second).
    await waitFor('the worker to report ready', async () => ((await fetch(`http://127.0.0.1:${worker!.port}/health/ready`)).status === 200 ? true : undefined), 10_000);
  }, 60_000);
});

