/**
 * npm run bench:signup — a sign-up storm over HTTP GraphQL against the real service.
 *
 *   1. a fresh migrated database; 2,000 residents of one township, a branch manager;
 *   2. the compiled service started as its own process in production mode on that
 *      database (queues on Redis under a prefix of its own), and the bare NestJS +
 *      Apollo hello world on Express (bare-hello.ts), the fixed reference;
 *   3. the bare hello's `{ __typename }` at 50 connections (measured again at the end);
 *   4. the manager creates and publishes an activity with 50 places (over GraphQL);
 *   5. 2,000 residents sign up at the same instant, one connection each (the
 *      connections are opened beforehand, as phones already connected would be);
 *   6. at 50 connections for BENCH_SECONDS each: `{ me { balance } }` as random
 *      residents, and the service's own `{ __typename }` (no resolver, no database).
 *
 * Prints sign-ups/s with p50/p99, the confirmed count (must be exactly 50), and the
 * ratios own `{ __typename }` ÷ bare (target ≥ 1.0), me ÷ bare (≥ 0.6), sign-ups ÷ me
 * (≥ 0.5); me ÷ own `{ __typename }` for information only (a slower request path would
 * raise it).
 *
 * Env: BENCH_SECONDS (default 10), BENCH_RESIDENTS (2000), BENCH_PLACES (50),
 *      BENCH_SERVICE_NODE_ARGS (extra node flags for the service, e.g. --cpu-prof).
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import { DataSource } from 'typeorm';
import { TokenService } from '../../src/auth/token.service';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { LedgerService } from '../../src/ledger/ledger.service';
import { removeQueueKeys, TEST_REDIS_URL } from '../support/redis';
import { benchDatabase, cpuSeconds, fmt, runFor, summarise } from './bench-util';
import { BareReference, BENCH_SECRETS, freePort, post, printRatio, resends, startBareHello, startService, stopService, typenameRate } from './service';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RESIDENTS = Number(process.env.BENCH_RESIDENTS ?? 2000);
const PLACES = Number(process.env.BENCH_PLACES ?? 50);
const CONNECTIONS = 50;
const QUEUE_PREFIX = `cb-bench-signup-${randomBytes(3).toString('hex')}`;

async function seed(ds: DataSource) {
  const ledger = new LedgerService();
  return ds.transaction(async (m) => {
    const [{ id: townshipId }] = await m.query(`INSERT INTO township (code, name) VALUES ('bench-signup', '基准镇') RETURNING id`);
    await ledger.openTownshipAccounts(m, townshipId);
    const [{ id: branchId }] = await m.query(`INSERT INTO branch (township_id, name) VALUES ($1, '武兴庄村') RETURNING id`, [townshipId]);
    await ledger.openBranchAccounts(m, townshipId, branchId);
    const people: { id: string }[] = await m.query(
      `INSERT INTO person (township_id, name, mobile) SELECT $2::uuid, '居民' || g, '13' || lpad(g::text, 9, '0') FROM generate_series(1, $1) g RETURNING id`,
      [RESIDENTS, townshipId],
    );
    const residents: { id: string }[] = await m.query(
      `INSERT INTO resident (person_id, township_id, branch_id) SELECT p, $1, $2 FROM unnest($3::uuid[]) p RETURNING id`,
      [townshipId, branchId, people.map((p) => p.id)],
    );
    await ledger.openResidentAccounts(m, townshipId, residents.map((r) => r.id));
    const [{ id: managerId }] = await m.query(`INSERT INTO person (township_id, name, mobile) VALUES ($1, '村书记', '13999999999') RETURNING id`, [townshipId]);
    await m.query(`INSERT INTO role_assignment (person_id, role, township_id, branch_id) VALUES ($1, 'BRANCH_MANAGER', $2, $3)`, [
      managerId,
      townshipId,
      branchId,
    ]);
    return { branchId, personIds: people.map((p) => p.id), managerId };
  });
}

async function main() {
  const db = await benchDatabase('signup');
  const ds = new DataSource(dataSourceOptions(db.url, 4, 'bench-signup'));
  await ds.initialize();
  let service: ChildProcess | undefined;
  let bareHello: ChildProcess | undefined;
  try {
    console.log(`seeding ${RESIDENTS} residents…`);
    const { branchId, personIds, managerId } = await seed(ds);
    const tokens = new TokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: BENCH_SECRETS.JWT_SECRET }));
    const residentTokens = personIds.map((id) => tokens.issueAccessToken(id).token);
    const managerToken = tokens.issueAccessToken(managerId).token;

    const port = await freePort();
    service = await startService(db.url, port, { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX });
    console.log(`service up on :${port} (compiled, production mode, pool ${process.env.DATABASE_POOL_SIZE ?? 20})`);
    const bare = await startBareHello();
    bareHello = bare.child;
    const reference = new BareReference(bare, CONNECTIONS, SECONDS);
    await reference.measure('first');

    const now = Date.now();
    const setup = new http.Agent({ keepAlive: true });
    const created = await post(
      setup,
      port,
      `mutation($i: CreateActivityInput!) { createActivity(input: $i) { id } }`,
      {
        i: {
          branchId,
          title: '平安有我消防安全宣传',
          place: '村委会广场',
          startsAt: new Date(now + 48 * 3600_000).toISOString(),
          endsAt: new Date(now + 50 * 3600_000).toISOString(),
          signupDeadline: new Date(now + 24 * 3600_000).toISOString(),
          capacity: PLACES,
          rewardPoints: 2,
        },
      },
      managerToken,
    );
    if (created.errors) throw new Error(JSON.stringify(created.errors));
    const activityId = created.data.createActivity.id;
    const published = await post(setup, port, `mutation($a: ID!) { publishActivity(id: $a) { status } }`, { a: activityId }, managerToken);
    if (published.errors) throw new Error(JSON.stringify(published.errors));

    // One keep-alive connection per resident, opened (and the server warmed) before the storm.
    // maxFreeSockets too: an Agent keeps only 256 idle sockets by default and closes the
    // rest, so the storm (and the burst of `me` after it) would open ~1,750 new connections.
    const storm = new http.Agent({ keepAlive: true, maxSockets: RESIDENTS, maxFreeSockets: RESIDENTS });
    await Promise.all(residentTokens.map(() => post(storm, port, '{ __typename }')));
    resends.count = 0;

    console.log(`\n${RESIDENTS} concurrent sign-ups for ${PLACES} places…`);
    const latencies: number[] = [];
    const outcomes = new Map<string, number>();
    const stormCpu = await cpuMeter(ds, service.pid!);
    const started = performance.now();
    await Promise.all(
      residentTokens.map(async (token) => {
        const t0 = performance.now();
        const res = await post(storm, port, `mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId }, token);
        latencies.push(performance.now() - t0);
        const outcome = res.errors ? `error ${res.errors[0].extensions?.code}` : res.data.signUpForActivity.status;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
    );
    const signups = summarise(latencies, (performance.now() - started) / 1000);
    const signupCpu = await stormCpu.perRequest(RESIDENTS);

    // The same burst shape with the cheapest authenticated query, to tell what the burst
    // itself costs (2,000 connections at once) from what a sign-up costs.
    const burstLatencies: number[] = [];
    const burstCpu = await cpuMeter(ds, service.pid!);
    const burstStarted = performance.now();
    await Promise.all(
      residentTokens.map(async (token) => {
        const t0 = performance.now();
        const res = await post(storm, port, '{ me { balance } }', undefined, token);
        if (res.errors) throw new Error(JSON.stringify(res.errors));
        burstLatencies.push(performance.now() - t0);
      }),
    );
    const meBurst = summarise(burstLatencies, (performance.now() - burstStarted) / 1000);
    const meBurstCpu = await burstCpu.perRequest(RESIDENTS);
    storm.destroy();
    const [{ confirmed, waitlisted, counter }] = await ds.query(
      `SELECT count(*) FILTER (WHERE s.status = 'CONFIRMED')::int AS confirmed, count(*) FILTER (WHERE s.status = 'WAITLISTED')::int AS waitlisted,
              (SELECT confirmed_count FROM activity WHERE id = $1) AS counter
       FROM activity_signup s WHERE s.activity_id = $1`,
      [activityId],
    );

    const pool = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const me = async () => {
      const res = await post(pool, port, '{ me { balance } }', undefined, residentTokens[randomInt(residentTokens.length)]);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
    };
    await runFor(2, CONNECTIONS, me); // warm-up
    const meStats = await runFor(SECONDS, CONNECTIONS, me, service.pid);
    const ownTypename = await typenameRate(port, service.pid!, CONNECTIONS, SECONDS);
    await reference.measure('last');

    console.log(`sign-ups             ${fmt(signups)}`);
    console.log(`  outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; resent after a connection reset: ${resends.count}`);
    console.log(`  confirmed ${confirmed} (counter ${counter}), waitlisted ${waitlisted}   ${confirmed === PLACES && counter === PLACES ? 'EXACT' : 'WRONG'}`);
    console.log(`  CPU per sign-up: service ${signupCpu.node.toFixed(2)} ms, PostgreSQL ${signupCpu.postgres.toFixed(2)} ms (this load generator ${signupCpu.bench.toFixed(2)} ms)`);
    console.log(`same burst of me { balance } ${fmt(meBurst)}   (for comparison)`);
    console.log(`  CPU per me in the burst: service ${meBurstCpu.node.toFixed(2)} ms, PostgreSQL ${meBurstCpu.postgres.toFixed(2)} ms (this load generator ${meBurstCpu.bench.toFixed(2)} ms)`);
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per query`);
    console.log(`me { balance }       ${fmt(meStats)}`);
    console.log(`own { __typename }   ${fmt(ownTypename)}`);
    console.log(`${reference.describe()}\n`);
    const bareCpu = reference.cpuMsPerRequest;
    printRatio('own { __typename } ÷ bare', ownTypename.perSecond / reference.perSecond, 'target >= 1.0', { of: ownTypename, reference: bareCpu });
    printRatio('me ÷ bare', meStats.perSecond / reference.perSecond, 'target >= 0.6', { of: meStats, reference: bareCpu });
    printRatio('sign-ups ÷ me', signups.perSecond / meStats.perSecond, 'target >= 0.5');
    printRatio('me ÷ own { __typename }', meStats.perSecond / ownTypename.perSecond, 'information only');
    if (confirmed !== PLACES || counter !== PLACES || confirmed + waitlisted !== RESIDENTS) process.exitCode = 1;
    pool.destroy();
    setup.destroy();
  } finally {
    await stopService(service);
    await stopService(bareHello);
    await ds.destroy();
    await db.drop();
    await removeQueueKeys(QUEUE_PREFIX);
  }
}

/**
 * CPU spent from now on by the service process and by the PostgreSQL backends serving
 * the bench database (all but this script's own connections): for a burst, whose
 * requests/s move with the neighbours on a shared machine far more than its CPU does.
 * And this script's own, which shares the machine's cores with the service.
 * The pool closes connections idle for 10 s and opens new ones, so the backends are
 * sampled every 100 ms: one that starts counts from zero, one that exits loses at most its
 * last 100 ms.
 */
async function cpuMeter(ds: DataSource, servicePid: number) {
  const cpuOf = (pid: number) => {
    try {
      return cpuSeconds(pid);
    } catch {
      return undefined; // gone
    }
  };
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async () => {
    const rows: { pid: number }[] = await ds.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name <> 'bench-signup' AND backend_type = 'client backend'`,
    );
    for (const { pid } of rows) {
      const cpu = cpuOf(pid);
      if (cpu === undefined) continue;
      if (!first.has(pid)) first.set(pid, started ? 0 : cpu);
      last.set(pid, cpu);
    }
  };
  let started = false;
  const nodeBefore = cpuSeconds(servicePid);
  const benchBefore = process.cpuUsage();
  await sample();
  started = true;
  let sampling = Promise.resolve();
  const timer = setInterval(() => (sampling = sampling.then(sample)), 100);
  return {
    async perRequest(requests: number): Promise<{ node: number; postgres: number; bench: number }> {
      clearInterval(timer);
      await sampling;
      await sample();
      const node = cpuSeconds(servicePid) - nodeBefore;
      const { user, system } = process.cpuUsage(benchBefore);
      const postgres = [...last].reduce((sum, [pid, cpu]) => sum + cpu - first.get(pid)!, 0);
      return { node: (node * 1000) / requests, postgres: (postgres * 1000) / requests, bench: (user + system) / 1000 / requests };
    },
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
