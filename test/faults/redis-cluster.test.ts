import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { loadConfig } from '../../src/config/app-config';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { QueueConnection } from '../../src/jobs/queue-connection';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { SETTLEMENT_QUEUE } from '../../src/settlement/settlement.jobs';
import { publishTownshipJobId, THEMES_QUEUE, ThemeJob } from '../../src/themes/theme.jobs';
import { SeededTownship, seedTownship } from '../support/factories';
import { expectLedgerRules } from '../support/ledger-rules';
import { testQueuePrefix } from '../support/redis';
import { grantAdmin } from '../support/roles';
import { devLogin, GqlResponse, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { startThrowawayRedisCluster, ThrowawayRedisCluster } from '../support/throwaway-services';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

const BRANCHES = 3;
const PUBLIC_PER_MINUTE = 3;

/**
 * The service on a Redis Cluster (three masters of the test's own, joined by
 * `redis-cli --cluster create`): REDIS_URL=redis+cluster://…. Two API apps (one running
 * workers in-process) and a worker process share it: two workers on every queue. Theme
 * publication and settlement (a flow) run exactly once, the schedule is registered once,
 * the rate-limit counters are shared by both APIs through the cluster, the dashboard reads
 * the queues, and readiness reports the cluster up.
 */
describe('on a Redis Cluster', () => {
  let db: TestDatabase;
  let cluster: ThrowawayRedisCluster;
  const prefix = testQueuePrefix();
  const apis: TestApp[] = [];
  let workerProcess: WorkerProcess | undefined;
  let town: SeededTownship;
  let admin: string;
  const month = monthOf(new Date());
  const lastMonth = addMonths(month, -1);
  /** Points minted per branch last month, by branch index. */
  const minted = [0, 0, 0];

  beforeAll(async () => {
    const [database, redis] = await Promise.allSettled([createTestDatabase(), startThrowawayRedisCluster(3)]);
    if (database.status === 'fulfilled') db = database.value;
    if (redis.status === 'fulfilled') cluster = redis.value;
    for (const result of [database, redis]) if (result.status === 'rejected') throw result.reason;
    const env = { REDIS_URL: cluster.url, QUEUE_PREFIX: prefix };
    const apiEnv = { ...env, RATE_LIMIT_PUBLIC_PER_MINUTE: String(PUBLIC_PER_MINUTE), WORKER_CONCURRENCY: '2' };
    const workerEnv = { ...env, DATABASE_URL: db.url, LOG_LEVEL: 'silent', WORKER_CONCURRENCY: '2' };
    // Two workers per queue: API A's in-process ones and a worker process (`npm run start:worker`).
    // Whatever started is stopped in afterAll, even if something else failed to start.
    const started = await Promise.allSettled([
      startTestApp({ ...apiEnv, WORKERS_IN_PROCESS: 'true' }, { database: db }).then((api) => (apis[0] = api)),
      startTestApp({ ...apiEnv, WORKERS_IN_PROCESS: 'false' }, { database: db }).then((api) => (apis[1] = api)),
      // Compiling the service on the fly takes long on a loaded machine.
      startWorkerProcess(workerEnv, 90_000).then((worker) => (workerProcess = worker)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;

    town = await seedTownship(db.dataSource, { branches: BRANCHES, residentsPerBranch: 2 });
    admin = await devLogin(apis[0], await grantAdmin(db.dataSource, town.id));
    await db.dataSource.query(
      `INSERT INTO theme (township_id, branch_id, month, title, suggested_points)
       VALUES ($1, NULL, $3, '平安有我', 2), ($1, NULL, $3, '文明交通', 2), ($1, $2, $3, '本村主题', 1)`,
      [town.id, town.branches[0].id, `${month}-01`],
    );
    // Last month's history, booked at chosen times (only the owner role may date entries).
    const tx = new TransactionRunner(await db.asOwner());
    const ledger = new LedgerService();
    let minute = 0;
    for (const [b, branch] of town.branches.entries()) {
      for (const [r, resident] of branch.residents.entries()) {
        const points = (b + 1) * (r + 2);
        minted[b] += points;
        await tx.run((m) =>
          ledger.post(m, {
            townshipId: town.id,
            idempotencyKey: randomUUID(),
            kind: EntryKind.MINT,
            memo: '志愿服务',
            lines: [
              { accountId: resident.accountId, amount: points },
              { accountId: branch.issuanceAccountId, amount: -points },
            ],
            reference: { type: 'ACTIVITY', id: `activity-${b}` },
            bookedAt: new Date(monthRange(lastMonth).start.getTime() + ++minute * 60_000),
          }),
        );
      }
    }
  }, 150_000);

  afterAll(async () => {
    await workerProcess?.kill9().catch(() => undefined);
    for (const api of apis) await api?.close();
    await cluster?.destroy();
    await db?.drop();
  });

  /** Request i goes to API i mod 2. */
  const gql = async (i: number, query: string, variables: Record<string, unknown>): Promise<any> => {
    const res: GqlResponse = await apis[i % 2].gql(query, variables, admin);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data;
  };
  /** A queue of the test's own on the cluster (its own Cluster client, closed after use). */
  const withQueue = async <T>(name: string, use: (queue: Queue) => Promise<T>): Promise<T> => {
    const queue = QueueConnection.fromConfig(loadConfig({ NODE_ENV: 'test', REDIS_URL: cluster.url, QUEUE_PREFIX: prefix }), db.url).queue(name);
    try {
      return await use(queue);
    } finally {
      await queue.close();
    }
  };
  /** Jobs of `queue` completed by each of the two workers (API A's and the worker process's), from their metrics. */
  const completedByWorkers = async (queue: string): Promise<number[]> =>
    Promise.all(
      [apis[0].url.replace(/\/graphql$/, ''), `http://127.0.0.1:${workerProcess!.port}`].map(async (base) => {
        const metrics = await (await fetch(`${base}/metrics`)).text();
        const line = metrics.split('\n').find((l) => l.startsWith(`cb_job_duration_seconds_count{queue="${queue}",outcome="completed"}`));
        return line ? Number(line.split(' ').pop()) : 0;
      }),
    );
  /** Jobs of `queue` the workers completed between them, once they have counted at least `atLeast`. */
  const ranByWorkers = (queue: string, atLeast: number): Promise<number> =>
    waitFor(`the workers' count of ${queue} jobs`, async () => {
      const total = (await completedByWorkers(queue)).reduce((a, b) => a + b);
      return total >= atLeast ? total : undefined;
    });
  /** Every key of the cluster, node by node. */
  const keysByNode = () => cluster.ports.map((port) => cluster.cli(port, '--scan').split('\n').filter(Boolean));

  it('publishes each branch once, with requests through both APIs and jobs run by two workers', async () => {
    expect(apis[0].app.get(QueueConnection).describe()).toBe(`Redis Cluster (prefix "{${prefix}}")`);
    const requests = await Promise.all(
      [0, 1, 2, 3].map((i) => gql(i, `mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal } }`, { t: town.id, m: month })),
    );
    expect(requests.map((r) => r.publishThemes.branchesTotal)).toEqual([BRANCHES, BRANCHES, BRANCHES, BRANCHES]);
    await withQueue(THEMES_QUEUE, async (queue) => {
      // More publication jobs for the same month (as racing requests with other views would queue).
      await queue.addBulk(
        [1, 2, 3, 4, 5].map((i) => ({
          name: ThemeJob.PUBLISH_TOWNSHIP,
          data: { townshipId: town.id, month, requestedBy: null },
          opts: { jobId: publishTownshipJobId(town.id, month, i) },
        })),
      );
      const counts = await waitFor('every publication job', async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'completed', 'failed');
        return c.waiting + c.active + c.prioritized === 0 && c.completed >= 6 ? c : undefined;
      });
      expect(counts.failed).toBe(0);
      // Each job ran once, in one of the workers; the monthly schedule is there once.
      expect(await ranByWorkers(THEMES_QUEUE, counts.completed)).toBe(counts.completed);
      expect(await queue.getJobSchedulersCount()).toBe(1);
    });
    const rows: { branchId: string; publications: number; items: number }[] = await db.dataSource.query(
      `SELECT b.id AS "branchId",
              (SELECT count(*)::int FROM theme_publication p WHERE p.branch_id = b.id AND p.month = $2) AS publications,
              (SELECT count(*)::int FROM theme_publication_item i WHERE i.branch_id = b.id AND i.month = $2) AS items
       FROM branch b WHERE b.township_id = $1`,
      [town.id, `${month}-01`],
    );
    expect(rows.map((r) => ({ publications: r.publications, items: r.items })).sort((a, b) => a.items - b.items)).toEqual([
      { publications: 1, items: 2 },
      { publications: 1, items: 2 },
      { publications: 1, items: 3 },
    ]);
    // Every queue key carries the hash tag, so they all live in one slot, on one node.
    const queueKeys = keysByNode().map((keys) => keys.filter((k) => k.includes(prefix) && !k.includes(':rate-limit:')));
    expect(queueKeys.filter((keys) => keys.length > 0)).toHaveLength(1);
    expect(queueKeys.flat().every((k) => k.startsWith(`{${prefix}}:`))).toBe(true);
  }, 40_000);

  it('settles last month once (a flow across the workers), started through both APIs at once', async () => {
    const START = `mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`;
    await Promise.all([0, 1, 2, 3].map((i) => gql(i, START, { t: town.id, m: lastMonth })));
    const settlement = await waitFor('the settlement', async () => {
      const s = (
        await gql(0, `query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { status branchesDone branches { branchId pointsMinted } } }`, {
          t: town.id,
          m: lastMonth,
        })
      ).settlement;
      return s.status === 'RUNNING' ? undefined : s;
    }, 30_000);
    expect(settlement.status).toBe('SUCCEEDED');
    expect(settlement.branchesDone).toBe(BRANCHES);
    const byBranch = new Map(settlement.branches.map((b: { branchId: string; pointsMinted: number }) => [b.branchId, b.pointsMinted]));
    expect(town.branches.map((b) => byBranch.get(b.id))).toEqual(minted);
    // The township job and its two steps, each run once.
    const jobs = await withQueue(SETTLEMENT_QUEUE, (queue) =>
      waitFor('the settlement jobs', async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'waiting-children', 'completed', 'failed');
        return c.waiting + c.active + c['waiting-children'] === 0 ? c : undefined;
      }),
    );
    expect({ completed: jobs.completed, failed: jobs.failed }).toEqual({ completed: 3, failed: 0 });
    expect(await ranByWorkers(SETTLEMENT_QUEUE, 3)).toBe(3);
    const [{ runs, figures }] = await db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM settlement WHERE township_id = $1) AS runs,
              (SELECT count(*)::int FROM settlement_branch WHERE township_id = $1) AS figures`,
      [town.id],
    );
    expect({ runs, figures }).toEqual({ runs: 1, figures: BRANCHES });
    await expectLedgerRules(db, town.id);
  }, 40_000);

  it('counts rate limits in the cluster, one allowance across both APIs', async () => {
    const statement = (i: number) =>
      fetch(`${apis[i % 2].url.replace(/\/graphql$/, '')}/public/statements/${town.branches[0].id}/${lastMonth}/json`).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < PUBLIC_PER_MINUTE + 1; i++) statuses.push(await statement(i));
    // Counted per process, each API would have allowed all four.
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(await statement(0)).toBe(429);
    const counters = keysByNode()
      .flat()
      .filter((k) => k.startsWith(`${prefix}:rate-limit:`));
    expect(counters).toContain(`${prefix}:rate-limit:{public:ip:127.0.0.1:public}:hits`);
  });

  it('shows the queues in the dashboard', async () => {
    const res = await fetch(`${apis[1].url.replace(/\/graphql$/, '')}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    const settlement = body.queues.find((q) => q.name === SETTLEMENT_QUEUE);
    expect(settlement?.counts.completed).toBe(3);
  });

  it('reports the cluster up in readiness, on the APIs and the worker process', async () => {
    for (const api of apis) {
      const res = await fetch(`${api.url.replace(/\/graphql$/, '')}/health/ready`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).details.queue).toEqual({ status: 'up', backend: 'redis-cluster' });
    }
    expect((await fetch(`http://127.0.0.1:${workerProcess!.port}/health/ready`)).status).toBe(200);
    // The worker process stops cleanly on SIGTERM (its cluster connections closed).
    expect(await workerProcess!.stop()).toBe(0);
  });
});
