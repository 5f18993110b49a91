import { Client } from 'pg';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { DeedJob, DEEDS_QUEUE, mintDeedJobId } from '../../src/deeds/deed.jobs';
import { QueueConnection } from '../../src/jobs/queue-connection';
import { APPOINT_SCORER, deedInput, photoId, REPORT_DEED, REQUEST_RECHECK, REVIEW_DEED, SAVE_DEED_KIND } from '../support/deed-fixture';
import { SeededTownship, seedTownship } from '../support/factories';
import { expectLedgerRules } from '../support/ledger-rules';
import { TEST_REDIS_URL } from '../support/redis';
import { grantAdmin, grantManager, mobileOf } from '../support/roles';
import { devLogin, GqlResponse, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * The notice-window mint under faults (issue 16): a worker process killed in the middle of
 * a mint (inside its transaction, the report locked and the ledger posting waiting), then
 * two worker processes racing over the same reports with duplicate jobs. Every report is
 * minted exactly once; a report whose recheck was opened before its window closed, never.
 */
describe('good-deed mint: a crash mid-way and two workers', () => {
  let t: TestApp;
  let prefix: string;
  let town: SeededTownship;
  const workers: WorkerProcess[] = [];
  const workerEnv = (concurrency: string) => ({
    DATABASE_URL: t.db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    WORKER_CONCURRENCY: concurrency,
    JOB_LOCK_MS: '2000',
    LOG_LEVEL: 'silent',
  });

  beforeAll(async () => {
    t = await startTestApp({ WORKERS_IN_PROCESS: 'false' });
    prefix = t.app.get(AppConfig).QUEUE_PREFIX;
    town = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 5 });
  });
  afterAll(async () => {
    for (const w of workers) await w.kill9().catch(() => undefined);
    await t?.close();
  });

  const ok = (r: GqlResponse) => {
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };

  it('mints each closed window exactly once, and never one with an open recheck', async () => {
    const branch = town.branches[0];
    const admin = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
    const manager = await devLogin(t, await grantManager(t.db.dataSource, town.id, branch.id));
    const scorer = await devLogin(t, await mobileOf(t.db.dataSource, branch.residents[4].personId));
    const neighbour = await devLogin(t, await mobileOf(t.db.dataSource, branch.residents[3].personId));
    const kindId = ok(await t.gql(SAVE_DEED_KIND, { input: { townshipId: town.id, name: '扶老助残', points: 5 } }, admin)).saveDeedKind.id;
    ok(await t.gql(APPOINT_SCORER, { branchId: branch.id, residentId: branch.residents[4].id }, manager));

    // Three reports to mint (residents 0-2, 1 to 3 points), one that a neighbour has asked to recheck.
    const reports: { id: string; residentId: string; accountId: string; points: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const resident = branch.residents[i % 3];
      const points = (i % 3) + 1;
      const input = { ...deedInput(kindId, await photoId(t, manager), points), residentId: resident.id };
      const { id } = ok(await t.gql(REPORT_DEED, { input }, manager)).reportDeed;
      expect(ok(await t.gql(REVIEW_DEED, { input: { reportId: id, approve: true, reason: '情况属实' } }, scorer)).reviewDeedReport.status).toBe('ON_NOTICE');
      reports.push({ id, residentId: resident.id, accountId: resident.accountId, points });
    }
    const [crashed, , , rechecked] = reports;
    ok(await t.gql(REQUEST_RECHECK, { input: { reportId: rechecked.id, reason: '当天下雨，没有扫雪' } }, neighbour));

    // Every window closes now; their delayed jobs become due.
    await t.db.dataSource.query(
      `UPDATE deed_report SET notice_starts_at = now() - interval '3 days', notice_ends_at = now() - interval '1 second' WHERE id = ANY($1)`,
      [reports.map((r) => r.id)],
    );
    const queue = QueueConnection.fromConfig(loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix }), t.db.url).queue(DEEDS_QUEUE);
    try {
      // A worker starts the first mint and is held inside it: the resident's balance row is
      // locked by another session, so the posting waits with the report locked.
      const blocker = new Client({ connectionString: t.db.superuserUrl });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM account_balance WHERE account_id = $1 FOR UPDATE`, [crashed.accountId]);
      await (await queue.getJob(mintDeedJobId(crashed.id, 1)))!.promote();
      const first = await startWorkerProcess(workerEnv('1'));
      workers.push(first);
      await waitFor('the worker to be held inside the mint', async () => {
        const [row] = await t.db.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
           AND application_name = 'civilization-bank-worker' AND wait_event_type = 'Lock'`,
        );
        return row.n > 0 ? true : undefined;
      });
      await first.kill9();
      await blocker.query('ROLLBACK');
      await blocker.end();
      expect(await entriesOf(crashed.id)).toEqual([]);

      // Two workers, every job due, and each mint queued twice more under other ids (as
      // racing sweeps and replicas could): they meet only in PostgreSQL.
      for (const r of reports.slice(1)) await (await queue.getJob(mintDeedJobId(r.id, 1)))!.promote();
      const duplicates = await queue.addBulk(
        reports.flatMap((r) => [1, 2].map((n) => ({ name: DeedJob.MINT, data: { reportId: r.id, round: 1 }, opts: { jobId: `${mintDeedJobId(r.id, 1)}.dup${n}` } }))),
      );
      workers.push(...(await Promise.all([startWorkerProcess(workerEnv('2')), startWorkerProcess(workerEnv('2'))])));
      const jobIds = [...reports.map((r) => mintDeedJobId(r.id, 1)), ...duplicates.map((j) => j.id!)];
      await waitFor(
        'every mint job, the crashed one included',
        async () => {
          const states = await Promise.all(jobIds.map((id) => queue.getJobState(id)));
          if (states.includes('failed')) throw new Error(`a mint job failed: ${states}`);
          return states.every((s) => s === 'completed') ? true : undefined;
        },
        40_000,
      );
    } finally {
      await queue.close();
    }

    for (const r of reports) {
      const entries = await entriesOf(r.id);
      const [row] = await t.db.dataSource.query(`SELECT status, entry_id::text AS "entryId" FROM deed_report WHERE id = $1`, [r.id]);
      const [{ mints }] = await t.db.dataSource.query(`SELECT count(*)::int AS mints FROM audit_log WHERE subject = $1 AND action = 'deed.mint'`, [r.id]);
      if (r === rechecked) {
        expect({ entries, status: row.status, mints }).toEqual({ entries: [], status: 'RECHECK', mints: 0 });
      } else {
        expect(entries).toHaveLength(1);
        expect({ status: row.status, entryId: row.entryId, mints }).toEqual({ status: 'MINTED', entryId: entries[0].id, mints: 1 });
      }
    }
    // Residents 0-2 hold exactly the points of their minted reports (resident 0 had two, one rechecked).
    for (let i = 0; i < 3; i++) {
      const expected = reports.filter((r) => r !== rechecked && r.residentId === branch.residents[i].id).reduce((s, r) => s + r.points, 0);
      const [{ balance }] = await t.db.dataSource.query(`SELECT sum(b.balance)::int AS balance FROM account_balance b WHERE b.account_id = $1`, [
        branch.residents[i].accountId,
      ]);
      expect({ resident: i, balance }).toEqual({ resident: i, balance: expected });
    }
    await expectLedgerRules(t.db, town.id);
  }, 120_000);

  const entriesOf = (reportId: string): Promise<{ id: string }[]> =>
    t.db.dataSource.query(`SELECT id::text FROM journal_entry WHERE reference_type = 'good_deed' AND reference_id = $1`, [reportId]);
});
