/**
 * npm run bench:ledger — ledger posting throughput against the raw PostgreSQL reference.
 *
 *   spread: 16 workers post mints through LedgerService, each from a random branch of 54
 *           to a random one of 50,000 residents. A posting is one call of ledger_post,
 *           which PostgreSQL commits by itself: one round trip, no BEGIN/COMMIT;
 *   hot:    the same, every mint from one branch (its issuance account is the hot account);
 *   raw:    a plain `pg` client doing BEGIN; insert entry; insert 2 postings; update 2
 *           balances; COMMIT, 16 workers, same database, same accounts;
 *   cte:    the ceiling: the same raw tables written by ONE statement (entry, postings and
 *           balances in one INSERT ... WITH, balances locked in id order), no ledger rules.
 *
 * Env: BENCH_SECONDS (default 20 per phase), BENCH_WORKERS (16).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { AccountKind, EntryKind } from '../../src/ledger/ledger.types';
import { benchDatabase, cpuSeconds, fmt, LatencyStats, runFor, summarise } from './bench-util';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const BRANCHES = 54;
const RESIDENTS = 50_000;

async function seed(ds: DataSource, ledger: LedgerService) {
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
    await m.query(
      `INSERT INTO person (township_id, name, mobile) SELECT $2::uuid, '居民' || g, '13' || lpad(g::text, 9, '0') FROM generate_series(1, $1) g`,
      [RESIDENTS, townshipId],
    );
    const residentIds: string[] = (
      await m.query(
        `INSERT INTO resident (person_id, township_id, branch_id)
         SELECT p.id, $1, ($2::uuid[])[1 + (row_number() OVER () % $3)] FROM person p RETURNING id`,
        [townshipId, branchIds, BRANCHES],
      )
    ).map((r: { id: string }) => r.id);
    await ledger.openResidentAccounts(m, townshipId, residentIds);
    const residentAccounts: string[] = (await m.query(`SELECT id FROM account WHERE kind = 'RESIDENT' ORDER BY id`)).map(
      (r: { id: string }) => r.id,
    );
    const issuance: string[] = [];
    for (const b of branchIds) issuance.push((await ledger.branchAccount(m, b, AccountKind.BRANCH_ISSUANCE)).id);
    return { townshipId, residentAccounts, issuance };
  });
}

async function main() {
  const db = await benchDatabase('ledger');
  const ds = new DataSource(dataSourceOptions(db.url, WORKERS + 4, 'bench-ledger'));
  await ds.initialize();
  const raw = new Pool({ connectionString: db.url, max: WORKERS + 4 });
  try {
    const ledger = new LedgerService();
    const tx = new TransactionRunner(ds);
    console.log(`seeding ${RESIDENTS} residents in ${BRANCHES} branches…`);
    const { townshipId, residentAccounts, issuance } = await seed(ds, ledger);

    // The raw reference: the least a double-entry transfer can do in PostgreSQL.
    await raw.query(`
      CREATE TABLE raw_account (id uuid PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
      INSERT INTO raw_account (id) SELECT id FROM account;
      CREATE TABLE raw_entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key text UNIQUE NOT NULL, memo text, booked_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE raw_posting (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, entry_id bigint NOT NULL REFERENCES raw_entry, account_id uuid NOT NULL, amount bigint NOT NULL);
      CREATE INDEX ON raw_posting (account_id);`);

    const pick = (hot: boolean) => ({
      from: hot ? issuance[0] : issuance[randomInt(issuance.length)],
      to: residentAccounts[randomInt(residentAccounts.length)],
    });

    // ds.manager is in no transaction: the one statement of a posting commits by itself.
    const viaLedger = (hot: boolean) => async () => {
      const { from, to } = pick(hot);
      await ledger.post(ds.manager, {
        townshipId,
        idempotencyKey: randomUUID(),
        kind: EntryKind.MINT,
        memo: '志愿服务',
        lines: [
          { accountId: to, amount: 2 },
          { accountId: from, amount: -2 },
        ],
      });
    };
    const viaRaw = async () => {
      const { from, to } = pick(false);
      const c = await raw.connect();
      try {
        await c.query('BEGIN');
        const {
          rows: [e],
        } = await c.query(`INSERT INTO raw_entry (key, memo) VALUES ($1, '志愿服务') RETURNING id`, [randomUUID()]);
        await c.query(`INSERT INTO raw_posting (entry_id, account_id, amount) VALUES ($1, $2, 2), ($1, $3, -2)`, [e.id, to, from]);
        const [first, second] = [from, to].sort();
        await c.query(`UPDATE raw_account SET balance = balance + $2 WHERE id = $1`, [first, first === to ? 2 : -2]);
        await c.query(`UPDATE raw_account SET balance = balance + $2 WHERE id = $1`, [second, second === to ? 2 : -2]);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    };

    const viaCte = async () => {
      const { from, to } = pick(false);
      await raw.query(
        `WITH entry AS (INSERT INTO raw_entry (key, memo) VALUES ($1, '志愿服务') RETURNING id),
              lines AS (INSERT INTO raw_posting (entry_id, account_id, amount)
                        SELECT entry.id, l.account_id, l.amount FROM entry, (VALUES ($2::uuid, 2), ($3::uuid, -2)) AS l(account_id, amount)),
              locked AS MATERIALIZED (SELECT id FROM raw_account WHERE id IN ($2, $3) ORDER BY id FOR UPDATE)
         UPDATE raw_account a SET balance = a.balance + CASE WHEN a.id = $2 THEN 2 ELSE -2 END
         FROM locked WHERE a.id = locked.id`,
        [randomUUID(), to, from],
      );
    };

    // Warm up connections and caches, then measure.
    await runFor(2, WORKERS, viaRaw);
    await runFor(2, WORKERS, viaLedger(false));
    await runFor(2, WORKERS, viaCte);
    // Each phase runs twice for half the time, in the order raw spread hot cte and then
    // back: on a machine shared with other work, load that comes and goes during the run
    // weighs on every phase alike instead of on whichever ran at that moment.
    const phases = { raw: viaRaw, spread: viaLedger(false), hot: viaLedger(true), cte: viaCte };
    const names = Object.keys(phases) as (keyof typeof phases)[];
    const measured = Object.fromEntries(names.map((name) => [name, { latencies: [] as number[], seconds: 0, nodeCpu: 0, postgresCpu: 0 }]));
    // CPU per posting, this process and the database's backends: throughput moves with the
    // neighbours, CPU much less. The backends are listed at both ends of a phase (an idle
    // connection may close meanwhile; a new one counts from zero).
    const postgresCpu = async () => {
      const { rows } = await raw.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`);
      const alive = (pid: number) => {
        try {
          return [[pid, cpuSeconds(pid)] as [number, number]];
        } catch {
          return []; // exited since it was listed
        }
      };
      return new Map<number, number>(rows.flatMap((r: { pid: number }) => alive(r.pid)));
    };
    const postgresCpuSince = async (before: Map<number, number>) =>
      [...(await postgresCpu()).entries()].reduce((sum, [pid, seconds]) => sum + seconds - (before.get(pid) ?? 0), 0);
    console.log(`\n${WORKERS} workers, ${SECONDS} s per phase (two halves: ${names.join(' ')}, then back)`);
    for (const name of [...names, ...[...names].reverse()]) {
      const { latencies } = measured[name];
      const [nodeBefore, postgresBefore] = [process.cpuUsage(), await postgresCpu()];
      const half = await runFor(SECONDS / 2, WORKERS, async () => {
        const started = performance.now();
        await phases[name]();
        latencies.push(performance.now() - started);
      });
      measured[name].seconds += half.count / half.perSecond;
      const node = process.cpuUsage(nodeBefore);
      measured[name].nodeCpu += (node.user + node.system) / 1000;
      measured[name].postgresCpu += (await postgresCpuSince(postgresBefore)) * 1000;
    }
    const results = Object.fromEntries(names.map((name) => [name, summarise(measured[name].latencies, measured[name].seconds)])) as Record<
      keyof typeof phases,
      LatencyStats
    >;
    console.log(`raw pg reference     ${fmt(results.raw)}`);
    console.log(`ledger, 54 branches  ${fmt(results.spread)}`);
    console.log(`ledger, hot branch   ${fmt(results.hot)}`);
    console.log(`one-statement CTE    ${fmt(results.cte)}   (ceiling: no ledger rules)`);
    const cpu = (name: keyof typeof phases) => {
      const { nodeCpu, postgresCpu, latencies } = measured[name];
      return `node ${(nodeCpu / latencies.length).toFixed(3)} ms, PostgreSQL ${(postgresCpu / latencies.length).toFixed(3)} ms`;
    };
    console.log(`CPU per posting: raw ${cpu('raw')}; spread ${cpu('spread')}; hot ${cpu('hot')}; cte ${cpu('cte')}`);
    console.log(`\nspread/raw = ${(results.spread.perSecond / results.raw.perSecond).toFixed(2)}   (target >= 1.0)`);
    console.log(`hot/spread = ${(results.hot.perSecond / results.spread.perSecond).toFixed(2)}   (target >= 0.90)`);
    console.log(`spread/cte = ${(results.spread.perSecond / results.cte.perSecond).toFixed(2)}   (the ceiling is 1)`);

    const report = await tx.run((m) => ledger.reconcile(m, townshipId));
    console.log(
      `reconciliation: ${report.ok ? 'clean' : 'FAILED'} (${report.entriesChecked} entries, ${report.postingsChecked} postings, ` +
        `${report.mismatchedAccounts.length} mismatched accounts)`,
    );
    if (!report.ok) process.exitCode = 1;
  } finally {
    await raw.end();
    await ds.destroy();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
