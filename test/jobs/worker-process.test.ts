import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { publishTownshipJobId, ThemeJob } from '../../src/themes/theme.jobs';
import { QueueConnection } from '../../src/jobs/queue-connection';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { SeededTownship, seedTownship } from '../support/factories';
import { TEST_REDIS_URL } from '../support/redis';
import { grantAdmin } from '../support/roles';
import { waitFor } from '../support/wait-for';
import { devLogin, startTestApp, TestApp } from '../support/test-app';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Production topology: the API with WORKERS_IN_PROCESS=false, and worker processes
 * started from src/worker.ts (`npm run start:worker`).
 */
describe('worker processes', () => {
  let t: TestApp;
  let prefix: string;
  const workers: WorkerProcess[] = [];
  const workerEnv = () => ({ DATABASE_URL: t.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: '2', JOB_LOCK_MS: '2000' });

  beforeAll(async () => {
    t = await startTestApp({ WORKERS_IN_PROCESS: 'false' });
    prefix = t.app.get(AppConfig).QUEUE_PREFIX;
  });
  afterAll(async () => {
    for (const w of workers) await w.kill9().catch(() => undefined);
    await t?.close();
  });

  it('two worker processes publishing the same month publish each branch once', async () => {
    const town = await seedTownship(t.db.dataSource, { branches: 4, residentsPerBranch: 1 });
    const month = monthOf(new Date());
    await t.db.dataSource.query(
      `INSERT INTO theme (township_id, branch_id, month, title, suggested_points)
       VALUES ($1, NULL, $3, '平安有我', 2), ($1, NULL, $3, '文明交通', 2), ($1, $2, $3, '本村主题', 1)`,
      [town.id, town.branches[0].id, `${month}-01`],
    );
    workers.push(...(await Promise.all([startWorkerProcess(workerEnv()), startWorkerProcess(workerEnv())])));
    // Several publication jobs for the same township and month (as racing requests with
    // different views would queue), processed by both processes at once.
    const queue = QueueConnection.fromConfig(loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix }), t.db.url).queue('themes');
    try {
      const jobs = await queue.addBulk(
        [0, 1, 2, 3, 4, 5].map((i) => ({
          name: ThemeJob.PUBLISH_TOWNSHIP,
          data: { townshipId: town.id, month, requestedBy: null },
          opts: { jobId: publishTownshipJobId(town.id, month, i) },
        })),
      );
      await waitFor('every publication job', async () => {
        const states = await Promise.all(jobs.map((j) => queue.getJobState(j.id!)));
        return states.every((s) => s === 'completed') ? true : undefined;
      });
      const rows = await t.db.dataSource.query(
        `SELECT p.branch_id AS "branchId", count(i.theme_id)::int AS items FROM theme_publication p
         JOIN theme_publication_item i ON i.branch_id = p.branch_id AND i.month = p.month
         WHERE p.township_id = $1 GROUP BY p.branch_id`,
        [town.id],
      );
      expect(rows).toHaveLength(4);
      for (const row of rows) expect(row.items).toBe(row.branchId === town.branches[0].id ? 3 : 2);
      // Each process registered the scheduler on start: still one schedule.
      expect(await queue.getJobSchedulersCount()).toBe(1);
      // Each worker process reports ready, and their metrics count the six jobs between them.
      let completed = 0;
      for (const worker of workers) {
        const ready = await fetch(`http://127.0.0.1:${worker.port}/health/ready`);
        expect(ready.status).toBe(200);
        const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
        const line = metrics.split('\n').find((l) => l.startsWith('cb_job_duration_seconds_count{queue="themes",outcome="completed"}'));
        completed += line ? Number(line.split(' ').pop()) : 0;
        expect(metrics).toMatch(/cb_queue_jobs\{queue="themes",state="completed"\} \d+/);
      }
      expect(completed).toBe(6);
    } finally {
      await queue.close();
      await Promise.all(workers.splice(0).map((w) => w.stop()));
    }
  }, 60_000);

  it('a worker killed with SIGKILL mid-settlement is replaced and the result is the uninterrupted one', async () => {
    const month = addMonths(monthOf(new Date()), -1);
    // The twins' history is booked at chosen times, which only the owner role may do.
    const tx = new TransactionRunner(await t.db.asOwner());
    const ledger = new LedgerService();
    let minute = 0;
    // Twin townships with the same ledger history: one settled undisturbed, one killed part-way.
    const seedTwin = async () => {
      const town = await seedTownship(t.db.dataSource, { branches: 4, residentsPerBranch: 5 });
      for (let b = 0; b < 4; b++) {
        for (let r = 0; r < 5; r++) {
          const res = town.branches[b].residents[r];
          const points = (b + 1) * (r + 1);
          await tx.run((m) =>
            ledger.post(m, {
              townshipId: town.id,
              idempotencyKey: randomUUID(),
              kind: EntryKind.MINT,
              memo: '志愿服务',
              lines: [
                { accountId: res.accountId, amount: points },
                { accountId: town.branches[b].issuanceAccountId, amount: -points },
              ],
              reference: { type: 'ACTIVITY', id: `activity-${b}-${r % 2}` },
              bookedAt: new Date(monthRange(month).start.getTime() + ++minute * 60_000),
            }),
          );
          if (r % 2 === 0) {
            await tx.run((m) =>
              ledger.post(m, {
                townshipId: town.id,
                idempotencyKey: randomUUID(),
                kind: EntryKind.SPEND,
                memo: '体验课程',
                lines: [
                  { accountId: res.accountId, amount: -1 },
                  { accountId: town.branches[(b + 1) % 4].redemptionAccountId, amount: 1 },
                ],
                reference: { type: 'COURSE', id: `course-${b}` },
                bookedAt: new Date(monthRange(month).start.getTime() + ++minute * 60_000),
              }),
            );
          }
        }
      }
      return town;
    };
    const undisturbed = await seedTwin();
    const killed = await seedTwin();
    const settlement = async (town: SeededTownship, token: string) =>
      (
        await t.gql(
          `query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) {
             status branchesDone trialBalance { total lines { kind accounts closing } }
             branches { branchId pointsMinted pointsSpent net activitiesHeld distinctVolunteers distinctCourseTakers topVolunteers { residentId points } } } }`,
          { t: town.id, m: month },
          token,
        )
      ).data.settlement;
    const start = (town: SeededTownship, token: string) =>
      t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: town.id, m: month }, token);
    const adminA = await devLogin(t, await grantAdmin(t.db.dataSource, undisturbed.id));
    const adminB = await devLogin(t, await grantAdmin(t.db.dataSource, killed.id));

    // Hold one branch of the second township: a row with its key, not committed, makes the
    // worker's insert of that branch's figures wait, mid-settlement.
    await start(killed, adminB);
    const held = [...killed.branches].sort((a, b) => a.id.localeCompare(b.id))[2];
    const blocker = new Client({ connectionString: t.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO settlement_branch (township_id, month, branch_id, points_minted, points_spent, activities_held,
                                      distinct_volunteers, distinct_course_takers, top_volunteers)
       VALUES ($1, $2, $3, -1, -1, -1, -1, -1, '[]')`,
      [killed.id, `${month}-01`, held.id],
    );
    const first = await startWorkerProcess({ ...workerEnv(), WORKER_CONCURRENCY: '1' });
    workers.push(first);
    await waitFor('the worker to be stuck on the held branch', async () => {
      const [row] = await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
         AND application_name = 'civilization-bank-worker' AND wait_event_type = 'Lock'`,
      );
      return row.n > 0 ? true : undefined;
    });
    const before = await settlement(killed, adminB);
    expect(before.status).toBe('RUNNING');
    await first.kill9();
    await blocker.query('ROLLBACK');
    await blocker.end();

    // A new worker picks the dead worker's job up once its lock expires, and finishes.
    const second = await startWorkerProcess(workerEnv());
    workers.push(second);
    await start(undisturbed, adminA);
    const done = async (town: SeededTownship, token: string) => {
      const s = await settlement(town, token);
      return s.status === 'RUNNING' ? undefined : s;
    };
    const resultKilled = await waitFor('the resumed settlement', () => done(killed, adminB), 30_000);
    const resultUndisturbed = await waitFor('the undisturbed settlement', () => done(undisturbed, adminA), 30_000);
    expect(resultKilled.status).toBe('SUCCEEDED');
    expect(resultUndisturbed.status).toBe('SUCCEEDED');

    // Same figures, branch by branch, resident by resident (ids mapped between the twins).
    const ids = new Map<string, string>();
    killed.branches.forEach((b, i) => {
      ids.set(b.id, undisturbed.branches[i].id);
      b.residents.forEach((r, j) => ids.set(r.id, undisturbed.branches[i].residents[j].id));
    });
    const mapped = resultKilled.branches
      .map((f: any) => ({ ...f, branchId: ids.get(f.branchId), topVolunteers: f.topVolunteers.map((v: any) => ({ ...v, residentId: ids.get(v.residentId) })) }))
      .sort((a: any, b: any) => a.branchId.localeCompare(b.branchId));
    const expected = [...resultUndisturbed.branches].sort((a: any, b: any) => a.branchId.localeCompare(b.branchId));
    // Top volunteer order breaks ties by resident id, which differs between twins: compare as sets of points per resident.
    const normalise = (fs: any[]) => fs.map((f) => ({ ...f, topVolunteers: [...f.topVolunteers].sort((x, y) => x.residentId.localeCompare(y.residentId)) }));
    expect(normalise(mapped)).toEqual(normalise(expected));
    expect(resultKilled.trialBalance).toEqual(resultUndisturbed.trialBalance);
    const snapshots = (town: SeededTownship) =>
      t.db.dataSource.query(
        `SELECT a.resident_id AS "residentId", a.branch_id AS "branchId", a.kind, s.opening, s.earned, s.spent, s.closing
         FROM account_period_balance s JOIN account a ON a.id = s.account_id WHERE s.township_id = $1`,
        [town.id],
      );
    const key = (r: any) => `${r.kind}:${r.residentId ?? r.branchId ?? ''}`;
    const killedSnap = (await snapshots(killed)).map((r: any) => ({ ...r, residentId: ids.get(r.residentId) ?? null, branchId: ids.get(r.branchId) ?? null }));
    const undisturbedSnap = await snapshots(undisturbed);
    expect(killedSnap.sort((a: any, b: any) => key(a).localeCompare(key(b)))).toEqual(undisturbedSnap.sort((a: any, b: any) => key(a).localeCompare(key(b))));
    // Exactly one figures row per branch, none left from the killed attempt.
    const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM settlement_branch WHERE township_id = $1 AND points_minted < 0`, [killed.id]);
    expect(n).toBe(0);

    // Graceful stop: SIGTERM lets the worker finish and exit cleanly.
    expect(await second.stop()).toBe(0);
  }, 60_000);
});
