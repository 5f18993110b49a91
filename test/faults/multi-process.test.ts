import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { TokenService } from '../../src/auth/token.service';
import { addMonths, monthOf } from '../../src/common/time/shanghai-month';
import { loadConfig } from '../../src/config/app-config';
import { THEMES_QUEUE } from '../../src/themes/theme.jobs';
import { QueueConnection } from '../../src/jobs/queue-connection';
import { createActivity, SIGNUP_FIELDS } from '../support/activity-fixture';
import { nextMobile, SeededTownship, seedTownship } from '../support/factories';
import { expectLedgerRules } from '../support/ledger-rules';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { waitFor } from '../support/wait-for';
import { spawnService, ServiceProcess } from '../support/service-process';
import { GqlResponse, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Production topology, doubled: two API processes and two worker processes on one
 * database and one Redis queue prefix. Storms alternate between the two APIs, so
 * concurrent duplicates meet only in PostgreSQL and Redis, never in one process's memory.
 */
describe('two API processes and two worker processes', () => {
  let db: TestDatabase;
  const prefix = testQueuePrefix();
  const secret = randomBytes(24).toString('hex');
  const apis: ServiceProcess[] = [];
  const workers: WorkerProcess[] = [];
  let town: SeededTownship;
  let tokens: TokenService;
  let managerToken: string;
  let adminToken: string;
  /** Every resident of the township with an access token. */
  let residents: { id: string; accountId: string; token: string }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, JWT_SECRET: secret, LOG_LEVEL: 'silent' };
    const apiEnv = { ...env, WORKERS_IN_PROCESS: 'false', RUN_MIGRATIONS: 'false', RATE_LIMIT_MUTATIONS_PER_MINUTE: '1000000' };
    // Whatever started is stopped in afterAll, even if another process failed to start (a
    // process left running would keep Jest's worker from exiting).
    const started = await Promise.allSettled([
      spawnService('src/main.ts', apiEnv).then((api) => (apis[0] = api)),
      spawnService('src/main.ts', apiEnv).then((api) => (apis[1] = api)),
      startWorkerProcess({ ...env, WORKER_CONCURRENCY: '2' }).then((worker) => (workers[0] = worker)),
      startWorkerProcess({ ...env, WORKER_CONCURRENCY: '2' }).then((worker) => (workers[1] = worker)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;

    town = await seedTownship(db.dataSource, { branches: 6, residentsPerBranch: 10 });
    tokens = new TokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: secret }));
    const staff = async (role: 'BRANCH_MANAGER' | 'TOWNSHIP_ADMIN', branchId: string | null) => {
      const [{ id }] = await db.dataSource.query(
        `WITH p AS (INSERT INTO person (township_id, name, mobile) VALUES ($3, '工作人员', $1) RETURNING id)
         INSERT INTO role_assignment (person_id, role, township_id, branch_id) SELECT id, $2, $3, $4 FROM p RETURNING person_id AS id`,
        [nextMobile(), role, town.id, branchId],
      );
      return tokens.issueAccessToken(id).token;
    };
    managerToken = await staff('BRANCH_MANAGER', town.branches[0].id);
    adminToken = await staff('TOWNSHIP_ADMIN', null);
    residents = town.branches.flatMap((b) => b.residents.map((r) => ({ id: r.id, accountId: r.accountId, token: tokens.issueAccessToken(r.personId).token })));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w?.kill9().catch(() => undefined)));
    for (const api of apis) if (api && api.child.exitCode === null) api.child.kill('SIGKILL');
    await Promise.all(apis.map((a) => a?.exited));
    await removeQueueKeys(prefix);
    await db?.drop();
  });

  /** Request i goes to API i mod 2. */
  const gql = async (i: number, query: string, variables: object, token?: string): Promise<GqlResponse> => {
    const response = await fetch(`${apis[i % 2].baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResponse;
  };
  const ok = (res: GqlResponse) => {
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data;
  };
  /** The shape createActivity needs, on API A. */
  const apiA = { gql: (q: string, v?: Record<string, unknown>, token?: string) => gql(0, q, v ?? {}, token) } as unknown as TestApp;

  it('a sign-up storm with duplicates through both APIs gives exact places and an ordered waitlist', async () => {
    const activityId = await createActivity(apiA, managerToken, town.branches[0].id, { capacity: 5 });
    // Forty residents sign up, each twice at once: once through each API.
    const storm = residents.slice(0, 40);
    const SIGN_UP = `mutation($a: ID!) { signUpForActivity(activityId: $a) { ${SIGNUP_FIELDS} } }`;
    const results = await Promise.all(storm.flatMap((r, i) => [gql(i, SIGN_UP, { a: activityId }, r.token), gql(i + 1, SIGN_UP, { a: activityId }, r.token)]));
    const accepted = results.filter((r) => !r.errors).map((r) => r.data.signUpForActivity);
    const refused = results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code);
    expect(refused).toEqual(Array(40).fill('ALREADY_SIGNED_UP'));
    expect(accepted.map((s) => s.residentId).sort()).toEqual(storm.map((r) => r.id).sort());
    expect(accepted.filter((s) => s.status === 'CONFIRMED')).toHaveLength(5);
    expect(accepted.filter((s) => s.status === 'WAITLISTED')).toHaveLength(35);

    const counts = async () =>
      ok(await gql(1, `query($a: ID!) { activity(id: $a) { confirmedCount remainingPlaces waitlistCount } }`, { a: activityId }, managerToken)).activity;
    expect(await counts()).toEqual({ confirmedCount: 5, remainingPlaces: 0, waitlistCount: 35 });
    const waitlist = async (): Promise<{ residentId: string; waitlistPosition: number }[]> =>
      ok(
        await gql(0, `query($a: ID!) { activitySignups(activityId: $a, status: WAITLISTED, first: 100) { edges { node { residentId waitlistPosition } } } }`, { a: activityId }, managerToken),
      ).activitySignups.edges.map((e: any) => e.node);
    const before = await waitlist();
    expect(before.map((s) => s.waitlistPosition)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    // Positions follow arrival, and every confirmed place went to an earlier arrival than any waitlisted one.
    const arrivals: { residentId: string; status: string }[] = await db.dataSource.query(
      `SELECT resident_id AS "residentId", status FROM activity_signup WHERE activity_id = $1 ORDER BY arrival`,
      [activityId],
    );
    expect(arrivals.slice(0, 5).every((a) => a.status === 'CONFIRMED')).toBe(true);
    expect(arrivals.slice(5).map((a) => a.residentId)).toEqual(before.map((s) => s.residentId));

    // Three confirmed residents cancel at once through both APIs: exactly the first three waitlisted move up.
    const confirmed = accepted.filter((s) => s.status === 'CONFIRMED').slice(0, 3);
    const cancels = await Promise.all(
      confirmed.map((s, i) => gql(i, `mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, storm.find((r) => r.id === s.residentId)!.token)),
    );
    expect(cancels.map((c) => ok(c).cancelSignup.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    const promoted: { residentId: string }[] = await db.dataSource.query(
      `SELECT resident_id AS "residentId" FROM activity_signup WHERE activity_id = $1 AND status = 'CONFIRMED' AND promoted_at IS NOT NULL`,
      [activityId],
    );
    expect(promoted.map((p) => p.residentId).sort()).toEqual(before.slice(0, 3).map((s) => s.residentId).sort());
    expect((await waitlist()).map((s) => s.residentId)).toEqual(before.slice(3).map((s) => s.residentId));
    expect(await counts()).toEqual({ confirmedCount: 5, remainingPlaces: 0, waitlistCount: 32 });
  }, 40_000);

  it('completing an activity from both APIs at once mints once per attendance', async () => {
    const activityId = await createActivity(apiA, managerToken, town.branches[0].id, { capacity: 12, rewardPoints: 3 });
    const signing = residents.slice(10, 22);
    for (const [i, r] of signing.entries()) ok(await gql(i, `mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activityId }, r.token));
    // The activity is under way (moved in the database: the processes run on real time).
    await db.dataSource.query(
      `UPDATE activity SET signup_deadline = now() - interval '2 hours', starts_at = now() - interval '1 hour', ends_at = now() + interval '1 hour' WHERE id = $1`,
      [activityId],
    );
    const present = signing.slice(0, 9);
    ok(
      await gql(1, `mutation($i: MarkAttendanceInput!) { markAttendance(input: $i) { id } }`, { i: { activityId, attendance: 'PRESENT', residentIds: present.map((r) => r.id) } }, managerToken),
    );

    const completions = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        gql(i, `mutation($a: ID!) { completeActivity(id: $a) { newlyRewarded attendeesRewarded activity { status } } }`, { a: activityId }, managerToken),
      ),
    );
    const done = completions.map((c) => ok(c).completeActivity);
    expect(done.reduce((sum, c) => sum + c.newlyRewarded, 0)).toBe(9);
    expect(done.every((c) => c.attendeesRewarded === 9 && c.activity.status === 'COMPLETED')).toBe(true);

    const mints: { signupId: string; entries: number }[] = await db.dataSource.query(
      `SELECT s.id AS "signupId", count(e.id)::int AS entries FROM activity_signup s
       LEFT JOIN journal_entry e ON e.idempotency_key = 'attendance:' || s.id
       WHERE s.activity_id = $1 GROUP BY s.id`,
      [activityId],
    );
    expect(mints.map((m) => m.entries).sort()).toEqual([...Array(3).fill(0), ...Array(9).fill(1)]);
    const balances: { accountId: string; balance: number }[] = await db.dataSource.query(
      `SELECT account_id AS "accountId", sum(balance)::int AS balance FROM account_balance WHERE account_id = ANY($1::uuid[]) GROUP BY account_id`,
      [signing.map((r) => r.accountId)],
    );
    const balanceOf = new Map(balances.map((b) => [b.accountId, b.balance]));
    expect(signing.map((r) => balanceOf.get(r.accountId) ?? 0)).toEqual([...Array(9).fill(3), ...Array(3).fill(0)]);
    await expectLedgerRules(db, town.id);
  }, 40_000);

  it('publication requests for the same months through both APIs, run by both workers, publish each branch once per month', async () => {
    const months = [monthOf(new Date()), addMonths(monthOf(new Date()), 1)];
    for (const month of months) {
      await db.dataSource.query(
        `INSERT INTO theme (township_id, branch_id, month, title, suggested_points)
         VALUES ($1, NULL, $3, '平安有我', 2), ($1, NULL, $3, '文明交通', 2), ($1, $2, $3, '本村主题', 1)`,
        [town.id, town.branches[0].id, `${month}-01`],
      );
    }
    const requests = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        gql(i, `mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal } }`, { t: town.id, m: months[(i >> 1) % 2] }, adminToken),
      ),
    );
    expect(requests.map((r) => ok(r).publishThemes.branchesTotal)).toEqual(Array(24).fill(6));

    // Wait for every queued job to finish, so a late duplicate would be counted.
    const queue: Queue = QueueConnection.fromConfig(loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix }), db.url).queue(THEMES_QUEUE);
    try {
      await waitFor(
        'every publication job',
        async () => {
          // (The monthly schedule's next run stays delayed: not counted.)
          const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'completed');
          return counts.waiting + counts.active + counts.prioritized === 0 && counts.completed > 0 ? counts : undefined;
        },
        30_000,
      );
      expect((await queue.getJobCounts('failed')).failed).toBe(0);
    } finally {
      await queue.close();
    }
    const rows: { branchId: string; month: string; publications: number; items: number }[] = await db.dataSource.query(
      `SELECT b.id AS "branchId", to_char(m.month, 'YYYY-MM') AS month,
              (SELECT count(*)::int FROM theme_publication p WHERE p.branch_id = b.id AND p.month = m.month) AS publications,
              (SELECT count(*)::int FROM theme_publication_item i WHERE i.branch_id = b.id AND i.month = m.month) AS items
       FROM branch b CROSS JOIN unnest($2::date[]) AS m(month) WHERE b.township_id = $1`,
      [town.id, months.map((m) => `${m}-01`)],
    );
    expect(rows).toHaveLength(12);
    for (const row of rows) expect({ publications: row.publications, items: row.items }).toEqual({ publications: 1, items: row.branchId === town.branches[0].id ? 3 : 2 });
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM theme_publication WHERE township_id = $1`, [town.id]);
    expect(n).toBe(12);

    // Every process is still healthy, and the ledger rules hold after all three storms.
    for (const worker of workers) expect((await fetch(`http://127.0.0.1:${worker.port}/health/ready`)).status).toBe(200);
    for (const api of apis) expect((await fetch(`${api.baseUrl}/health/ready`)).status).toBe(200);
    await expectLedgerRules(db, town.id);
  }, 40_000);
});
