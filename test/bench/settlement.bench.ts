/**
 * npm run bench:settlement — the monthly settlement of a large township.
 *
 * Seeds 54 branches, 50,000 residents and 1,000,000 postings (450,000 mints, 50,000
 * course charges) in last month, then settles it with the real workers (in this
 * process, queues on the machine's Redis under a throwaway prefix): figures, the
 * reconciliation (every content hash recomputed), the month's seal, snapshots. Prints
 * the wall time, each step's span, and the peak RSS of this node process and of the
 * PostgreSQL backends involved.
 *
 * The seed writes journal_entry/posting with set-based INSERT ... SELECT and the
 * ledger triggers switched off for that one transaction (session_replication_role);
 * it satisfies what the triggers enforce (balanced two-line entries, period and time
 * copied from the entry, resident balances never negative) and sets the stored
 * balances to the sum of postings. The settlement's reconciliation then proves it.
 *
 * Env: BENCH_RESIDENTS (50000), BENCH_POSTINGS (1000000), WORKER_CONCURRENCY (4).
 */
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { Principal } from '../../src/auth/principal';
import { addMonths, Month, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { loadConfig } from '../../src/config/app-config';
import { JobQueues } from '../../src/jobs/job-queues';
import { SETTLEMENT_QUEUE, settleStepJobId, settleTownshipJobId } from '../../src/settlement/settlement.jobs';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { LedgerService } from '../../src/ledger/ledger.service';
import { SettlementService } from '../../src/settlement/settlement.service';
import { WorkerModule } from '../../src/worker.module';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { benchDatabase } from './bench-util';

const BRANCHES = 54;
const RESIDENTS = Number(process.env.BENCH_RESIDENTS ?? 50_000);
const POSTINGS = Number(process.env.BENCH_POSTINGS ?? 1_000_000);
const SPENDS = Math.round(POSTINGS / 2 / 10); // one entry in ten is a course charge
const MINTS = POSTINGS / 2 - SPENDS;

async function seed(ds: DataSource, month: string): Promise<string> {
  const ledger = new LedgerService();
  const { start } = monthRange(month);
  return ds.transaction(async (m) => {
    const [{ id: townshipId }] = await m.query(`INSERT INTO township (code, name) VALUES ('bench', '基准镇') RETURNING id`);
    await ledger.openTownshipAccounts(m, townshipId);
    const branchIds: string[] = (
      await m.query(`INSERT INTO branch (township_id, name) SELECT $1, '村' || g FROM generate_series(1, $2) g RETURNING id`, [
        townshipId,
        BRANCHES,
      ])
    ).map((r: { id: string }) => r.id);
    for (const b of branchIds) await ledger.openBranchAccounts(m, townshipId, b);
    await m.query(`INSERT INTO person (township_id, name, mobile) SELECT $2::uuid, '居民' || g, '13' || lpad(g::text, 9, '0') FROM generate_series(1, $1) g`, [
      RESIDENTS,
      townshipId,
    ]);
    const residentIds: string[] = (
      await m.query(
        `INSERT INTO resident (person_id, township_id, branch_id)
         SELECT p.id, $1, ($2::uuid[])[1 + (row_number() OVER () % $3)] FROM person p RETURNING id`,
        [townshipId, branchIds, BRANCHES],
      )
    ).map((r: { id: string }) => r.id);
    await ledger.openResidentAccounts(m, townshipId, residentIds);

    // The plan: entry g, its resident account, branch account, points and reference.
    await m.query(`
      CREATE TEMP TABLE resident_n ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY a.id) - 1 AS n, a.id AS account, r.branch_id
        FROM account a JOIN resident r ON r.id = a.resident_id WHERE a.kind = 'RESIDENT';
      CREATE TEMP TABLE branch_n ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY b.id) - 1 AS n, b.id AS branch_id,
               (SELECT id FROM account WHERE branch_id = b.id AND kind = 'BRANCH_ISSUANCE') AS issuance,
               (SELECT id FROM account WHERE branch_id = b.id AND kind = 'BRANCH_REDEMPTION') AS redemption
        FROM branch b;`);
    await m.query(
      `CREATE TEMP TABLE plan ON COMMIT DROP AS
       SELECT g, 'MINT'::text AS kind, r.account AS resident, b.issuance AS counter, 1 + (g % 3) AS points,
              'ACTIVITY'::text AS ref_type, 'act-' || b.n || '-' || (g / 997 % 40) AS ref_id,
              $2::timestamptz + (g * interval '1 second') AS booked_at
       FROM generate_series(0, $1 - 1) g
       JOIN resident_n r ON r.n = g % ${RESIDENTS}
       JOIN branch_n b ON b.n = (g / 7) % ${BRANCHES}`,
      [MINTS, start],
    );
    // Charges come after every mint, one point each, from residents who earned at least one.
    await m.query(
      `INSERT INTO plan
       SELECT $1 + g, 'SPEND', r.account, b.redemption, 1, 'COURSE', 'course-' || b.n || '-' || (g % 5),
              $2::timestamptz + (($1 + g) * interval '1 second')
       FROM generate_series(0, $3 - 1) g
       JOIN resident_n r ON r.n = g % ${RESIDENTS}
       JOIN branch_n b ON b.n = r.n % ${BRANCHES}`,
      [MINTS, start, SPENDS],
    );
    await m.query(`SET LOCAL session_replication_role = replica`);
    // content_hash as LedgerService computes it (ledger.rules.ts contentHash): the
    // reconciliation recomputes it from the postings.
    await m.query(
      `INSERT INTO journal_entry (township_id, idempotency_key, content_hash, kind, memo, reference_type, reference_id, booked_at, period)
       SELECT $1, 'bench-' || g,
              encode(sha256(convert_to('[' || to_json(kind) || ',' || to_json(memo) || ',' || to_json(ref_type) || ',' || to_json(ref_id)
                || ',null,[[' || to_json(least(resident, counter)::text) || ',' || CASE WHEN resident < counter THEN r_amount ELSE -r_amount END
                || '],[' || to_json(greatest(resident, counter)::text) || ',' || CASE WHEN resident < counter THEN -r_amount ELSE r_amount END
                || ']]]', 'UTF8')), 'hex'),
              kind, memo, ref_type, ref_id, booked_at, $2::date
       FROM (SELECT *, CASE kind WHEN 'MINT' THEN '志愿服务' ELSE '体验课程' END AS memo,
                    CASE kind WHEN 'MINT' THEN points ELSE -points END AS r_amount FROM plan) p
       ORDER BY g`,
      [townshipId, `${month}-01`],
    );
    await m.query(
      `INSERT INTO posting (entry_id, township_id, account_id, amount, booked_at, period)
       SELECT e.id, $1, x.account, x.amount, e.booked_at, e.period
       FROM plan p JOIN journal_entry e ON e.township_id = $1 AND e.idempotency_key = 'bench-' || p.g
       CROSS JOIN LATERAL (VALUES (p.resident, CASE p.kind WHEN 'MINT' THEN p.points ELSE -p.points END),
                                  (p.counter,  CASE p.kind WHEN 'MINT' THEN -p.points ELSE p.points END)) AS x(account, amount)
       ORDER BY e.id`,
      [townshipId],
    );
    await m.query(
      `UPDATE account_balance b SET balance = s.total
       FROM (SELECT account_id, sum(amount) AS total FROM posting WHERE township_id = $1 GROUP BY account_id) s
       WHERE b.account_id = s.account_id AND b.shard = 0`,
      [townshipId],
    );
    await m.query(`SET LOCAL session_replication_role = origin`);
    const [{ negative }] = await m.query(
      `SELECT count(*)::int AS negative FROM account_balance WHERE township_id = $1 AND NOT may_go_negative AND balance < 0`,
      [townshipId],
    );
    if (negative) throw new Error(`seed bug: ${negative} negative resident balances`);
    return townshipId;
  });
}

/**
 * Peak RSS (VmHWM, kB) and CPU time (s) of processes, read from /proc while they live.
 * CPU time says more than wall time on a busy machine: it is what the work costs.
 */
class ProcessUsage {
  readonly peaks = new Map<number, number>();
  readonly cpu = new Map<number, number>();
  sample(pids: number[]) {
    for (const pid of pids) {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, kb));
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        this.cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime, in clock ticks
      } catch {
        // the process has ended
      }
    }
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

async function main() {
  const month = addMonths(monthOf(new Date()), -1);
  const db = await benchDatabase('settlement');
  const prefix = testQueuePrefix();
  const admin = new DataSource(dataSourceOptions(db.url, 2, 'bench-seed'));
  await admin.initialize();
  try {
    console.log(`seeding ${BRANCHES} branches, ${RESIDENTS} residents, ${POSTINGS} postings in ${month}…`);
    const seeded = performance.now();
    const townshipId = await seed(admin, month);
    await admin.query('ANALYZE');
    const [counts] = await admin.query(
      `SELECT (SELECT count(*) FROM posting)::int AS postings, (SELECT count(*) FROM journal_entry)::int AS entries,
              (SELECT count(*) FROM account)::int AS accounts`,
    );
    console.log(`seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s: ${counts.entries} entries, ${counts.postings} postings, ${counts.accounts} accounts`);

    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' });
    const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, db.url), { logger: ['error', 'warn'] });
    const service = app.get(SettlementService);
    const actor: Principal = { personId: '00000000-0000-0000-0000-000000000000', name: 'bench', mobile: '13800000000', resident: null, adminOf: [townshipId], managerOf: [] };
    actor.personId = (await admin.query(`INSERT INTO person (township_id, name, mobile) VALUES ($1, '基准管理员', '13999999999') RETURNING id`, [townshipId]))[0].id;

    const rss = new ProcessUsage();
    const cpuBefore = process.cpuUsage();
    const backends = async (): Promise<number[]> =>
      (await admin.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'civilization-bank-worker'`)).map(
        (r: { pid: number }) => r.pid,
      );
    const baselineRss = process.memoryUsage().rss;
    const started = performance.now();
    let settlement: Awaited<ReturnType<SettlementService["settlement"]>> = await service.start(actor, townshipId, Month.parse(month));
    let lastDone = -1;
    while (settlement!.status === 'RUNNING') {
      rss.sample([process.pid, ...(await backends())]);
      await new Promise((r) => setTimeout(r, 200));
      settlement = await service.settlement(actor, townshipId, Month.parse(month));
      if (settlement!.branchesDone !== lastDone) lastDone = settlement!.branchesDone;
    }
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = process.cpuUsage(cpuBefore);
    rss.sample([process.pid, ...(await backends())]);
    const pgPeaks = [...rss.peaks].filter(([pid]) => pid !== process.pid).map(([, kb]) => kb);

    console.log(`\nsettlement ${settlement!.status} in ${seconds.toFixed(2)} s wall (target <= 6 s, sealing included)`);
    // Each step of the flow, from the queue's own timestamps (the children run side by side).
    const steps = [
      ['figures', settleStepJobId(townshipId, month, 1, 'figures')],
      ['reconcile and seal', settleStepJobId(townshipId, month, 1, 'seal')],
      ['township step', settleTownshipJobId(townshipId, month, 1)],
    ];
    const queues = app.get(JobQueues);
    const startedAt = Math.round(performance.timeOrigin + started);
    for (const [label, id] of steps) {
      const job = await queues.queue(SETTLEMENT_QUEUE).getJob(id);
      if (job?.processedOn && job.finishedOn) {
        console.log(`  ${label.padEnd(20)} ${((job.processedOn - startedAt) / 1000).toFixed(2)} s → ${((job.finishedOn - startedAt) / 1000).toFixed(2)} s`);
      }
    }
    console.log(`  month's seal ${settlement!.seal?.seal} over ${settlement!.seal?.entryCount} entries`);
    const pgCpu = [...rss.cpu].filter(([pid]) => pid !== process.pid).reduce((sum, [, s]) => sum + s, 0);
    console.log(
      `  CPU: node ${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(2)} s, PostgreSQL worker backends ${pgCpu.toFixed(2)} s ` +
        `(parallel query workers not counted: PGOPTIONS='-c max_parallel_workers_per_gather=0' to include everything)`,
    );
    if (settlement!.error) console.log(`error: ${settlement!.error}`);
    console.log(`  branches ${settlement!.branchesDone}/${settlement!.branchesTotal}, trial balance total ${settlement!.trialBalance?.total}, ` +
      `reconciliation ${settlement!.reconciliation?.ok ? 'clean' : 'FAILED'} (${settlement!.reconciliation?.postingsChecked} postings)`);
    const minted = settlement!.branches.reduce((s, b) => s + b.pointsMinted, 0);
    const spent = settlement!.branches.reduce((s, b) => s + b.pointsSpent, 0);
    console.log(`  minted ${minted}, spent ${spent}, snapshots ${(await admin.query(`SELECT count(*)::int AS n FROM account_period_balance`))[0].n}`);
    console.log(`peak RSS, node process (seed client + API-less app + workers): ${mb(process.resourceUsage().maxRSS)} ` +
      `(rss before settlement ${mb(baselineRss / 1024)}) (target <= 512 MB)`);
    console.log(`peak RSS, PostgreSQL worker backends (${pgPeaks.length}): max ${mb(Math.max(0, ...pgPeaks))} each, ` +
      `sum ${mb(pgPeaks.reduce((s, k) => s + k, 0))} (VmHWM; includes shared_buffers pages each touched)`);
    await app.close();
    if (settlement!.status !== 'SUCCEEDED') process.exitCode = 1;
  } finally {
    await admin.destroy();
    await removeQueueKeys(prefix);
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
