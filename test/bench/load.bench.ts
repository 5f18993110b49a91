/**
 * npm run bench:load — the demo township under a mixed load over HTTP GraphQL.
 *
 *   1. a fresh migrated database seeded with the demo (潞城镇, 54 villages, 2,700
 *      residents); 500 residents of 10 villages take part, each granted 20 points; each
 *      of those villages also gets a course with room for everyone and an activity
 *      running now (its sign-ups made in advance) for check-ins;
 *   2. the compiled service started as its own process in production mode, and the
 *      bare NestJS + Apollo hello world on Express (bare-hello.ts), the fixed reference,
 *      whose `{ __typename }` at 50 connections is measured before and after the rest;
 *   3. 50 connections for BENCH_SECONDS (default 60): 80% reads — balance, a history
 *      page, the activity list, the month's theme list — and 20% writes — sign-ups and
 *      cancellations, check-ins with the current code, enrolments and cancellations;
 *   4. in the same run, the service's own `{ __typename }` at 50 connections;
 *   5. the ledger reconciliation, which must be clean.
 *
 * Prints requests/s and p50/p99 per operation, then mixed ÷ bare (target ≥ 0.3) and own
 * `{ __typename }` ÷ bare (≥ 1.0); mixed ÷ own `{ __typename }` for information only.
 *
 * An expected business refusal (waitlisted, ALREADY_SIGNED_UP, COURSE_FULL …) counts as
 * a served request; an INTERNAL_SERVER_ERROR or a transport error fails the run.
 */
import { NestFactory } from '@nestjs/core';
import { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import { ActivityService } from '../../src/activities/activity.service';
import { AttendanceService } from '../../src/activities/attendance.service';
import { SignupService } from '../../src/activities/signup.service';
import { PrincipalLoader } from '../../src/auth/principal.loader';
import { TokenService } from '../../src/auth/token.service';
import { CliModule } from '../../src/cli.module';
import { Clock } from '../../src/common/time/clock';
import { monthOf } from '../../src/common/time/shanghai-month';
import { loadConfig } from '../../src/config/app-config';
import { CourseService } from '../../src/courses/course.service';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { seedDemo } from '../../src/demo/demo-seed';
import { LedgerService } from '../../src/ledger/ledger.service';
import { AccountKind, EntryKind } from '../../src/ledger/ledger.types';
import { removeQueueKeys } from '../support/redis';
import { benchDatabase, fmt, runFor, summarise } from './bench-util';
import { BareReference, BENCH_SECRETS, freePort, post, printRatio, resends, startBareHello, startService, stopService, typenameRate } from './service';
import { DataSource } from 'typeorm';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CONNECTIONS = 50;
const VILLAGES_IN_PLAY = 10;
const QUEUE_PREFIX = `cb-bench-load-${randomBytes(3).toString('hex')}`;
const HOUR = 3600_000;

interface Village {
  branchId: string;
  managerToken: string;
  residents: { token: string; residentId: string }[];
  openActivities: string[];
  runningActivity: string;
  course: string;
  checkinCode: string;
}

const OPERATIONS = [
  { name: 'read: me { balance }', weight: 25, write: false },
  { name: 'read: history page', weight: 20, write: false },
  { name: 'read: activity list', weight: 20, write: false },
  { name: 'read: theme list', weight: 15, write: false },
  { name: 'write: sign up / cancel', weight: 8, write: true },
  { name: 'write: check in', weight: 4, write: true },
  { name: 'write: enrol / cancel', weight: 8, write: true },
] as const;

async function prepare(databaseUrl: string) {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_PREFIX, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, databaseUrl), { logger: false });
  try {
    const started = Date.now();
    const demo = await seedDemo(app);
    console.log(`demo seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const db = app.get(DataSource);
    const tx = app.get(TransactionRunner);
    const ledger = app.get(LedgerService);
    const principals = app.get(PrincipalLoader);
    const activities = app.get(ActivityService);
    const signups = app.get(SignupService);
    const attendance = app.get(AttendanceService);
    const courses = app.get(CourseService);
    const clock = app.get(Clock);
    const tokens = new TokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: BENCH_SECRETS.JWT_SECRET }));
    const token = (personId: string) => tokens.issueAccessToken(personId).token;
    const adjustment = await tx.run((m) => ledger.townshipAccount(m, demo.townshipId, AccountKind.TOWNSHIP_ADJUSTMENT));
    const now = Date.now();
    const villages: Village[] = [];
    for (const v of demo.villages.slice(0, VILLAGES_IN_PLAY)) {
      const people: { personId: string; residentId: string; accountId: string }[] = await db.query(
        `SELECT r.person_id AS "personId", r.id AS "residentId", a.id AS "accountId"
         FROM resident r JOIN account a ON a.resident_id = r.id WHERE r.branch_id = $1 ORDER BY r.id`,
        [v.branchId],
      );
      for (const p of people) {
        await tx.run((m) =>
          ledger.post(m, {
            townshipId: demo.townshipId,
            kind: EntryKind.ADJUSTMENT,
            idempotencyKey: `bench-load-grant:${p.accountId}`,
            memo: '压测初始积分',
            lines: [
              { accountId: adjustment.id, amount: -20 },
              { accountId: p.accountId, amount: 20 },
            ],
          }),
        );
      }
      const [{ personId: managerPersonId }] = await db.query(
        `SELECT person_id AS "personId" FROM role_assignment WHERE branch_id = $1 AND role = 'BRANCH_MANAGER'`,
        [v.branchId],
      );
      const manager = (await principals.load(managerPersonId))!;
      const open: { id: string }[] = await db.query(`SELECT id FROM activity WHERE branch_id = $1 AND status = 'PUBLISHED'`, [v.branchId]);
      const course = await courses.create(manager, {
        branchId: v.branchId,
        title: '非遗剪纸体验课',
        description: '',
        place: '镇文化中心',
        startsAt: new Date(now + 10 * 24 * HOUR),
        endsAt: new Date(now + 10 * 24 * HOUR + 2 * HOUR),
        enrolDeadline: new Date(now + 9 * 24 * HOUR),
        cancelDeadline: new Date(now + 8 * 24 * HOUR),
        capacity: 1000,
        pricePoints: 2,
      });
      // An activity running now: created and signed up for "yesterday".
      clock.now = () => new Date(now - 24 * HOUR);
      const running = await activities.create(manager, {
        branchId: v.branchId,
        title: '环境整治志愿服务',
        description: '',
        place: '村委会',
        startsAt: new Date(now - 10 * 60_000),
        endsAt: new Date(now + 3 * HOUR),
        signupDeadline: new Date(now - 30 * 60_000),
        capacity: 60,
        rewardPoints: 2,
      });
      await activities.publish(manager, running.id);
      for (const p of people) await signups.signUp((await principals.load(p.personId))!, running.id);
      clock.now = () => new Date();
      villages.push({
        branchId: v.branchId,
        managerToken: token(managerPersonId),
        residents: people.map((p) => ({ token: token(p.personId), residentId: p.residentId })),
        openActivities: open.map((a) => a.id),
        runningActivity: running.id,
        course: course.id,
        checkinCode: '',
      });
    }
    return { townshipId: demo.townshipId, villages };
  } finally {
    await app.close();
  }
}

async function main() {
  const db = await benchDatabase('load');
  let service: ChildProcess | undefined;
  let bareHello: ChildProcess | undefined;
  try {
    const { townshipId, villages } = await prepare(db.url);
    const port = await freePort();
    service = await startService(db.url, port, {
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX,
      // A phone does not sign up 120 times a minute, but 50 load connections sharing 500 people do.
      RATE_LIMIT_MUTATIONS_PER_MINUTE: '100000',
    });
    console.log(`service up on :${port} (compiled, production mode)`);
    const bare = await startBareHello();
    bareHello = bare.child;
    const reference = new BareReference(bare, CONNECTIONS, Math.min(SECONDS, 20));
    await reference.measure('first');
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const month = monthOf(new Date());

    const refreshCodes = async () => {
      for (const v of villages) {
        const res = await post(agent, port, `query($a: ID!) { activityCheckinCode(activityId: $a) { code } }`, { a: v.runningActivity }, v.managerToken);
        if (res.errors) throw new Error(`check-in code: ${JSON.stringify(res.errors)}`);
        v.checkinCode = res.data.activityCheckinCode.code;
      }
    };
    await refreshCodes();
    const codeTimer = setInterval(() => void refreshCodes().catch((e) => console.error(e)), 15_000);

    const signedUp = new Set<string>();
    const enrolled = new Set<string>();
    const latencies = new Map<string, number[]>(OPERATIONS.map((o) => [o.name, []]));
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    const totalWeight = OPERATIONS.reduce((s, o) => s + o.weight, 0);

    const run = async (name: string, query: string, variables: object, token: string) => {
      const t0 = performance.now();
      const res = await post(agent, port, query, variables, token);
      latencies.get(name)!.push(performance.now() - t0);
      const code = res.errors?.[0]?.extensions?.code as string | undefined;
      const key = `${name} → ${code ?? 'ok'}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (code === 'INTERNAL_SERVER_ERROR' || (res.errors && !code)) failures.push(JSON.stringify(res.errors));
      return res;
    };

    const mixed = async () => {
      let pick = randomInt(totalWeight);
      const op = OPERATIONS.find((o) => (pick -= o.weight) < 0)!;
      const v = villages[randomInt(villages.length)];
      const r = v.residents[randomInt(v.residents.length)];
      switch (op.name) {
        case 'read: me { balance }':
          return void (await run(op.name, `{ me { balance } }`, {}, r.token));
        case 'read: history page':
          return void (await run(op.name, `{ me { history(first: 10) { edges { node { amount kind memo bookedAt balanceAfter } } pageInfo { hasNextPage endCursor } } } }`, {}, r.token));
        case 'read: activity list':
          return void (await run(op.name, `query($t: ID!, $b: ID) { activities(townshipId: $t, branchId: $b, first: 20) { edges { node { id title startsAt remainingPlaces rewardPoints } } } }`, { t: townshipId, b: v.branchId }, r.token));
        case 'read: theme list':
          return void (await run(op.name, `query($b: ID!, $m: String!) { publishedThemes(branchId: $b, month: $m) { themes { id title } } }`, { b: v.branchId, m: month }, r.token));
        case 'write: sign up / cancel': {
          const activityId = v.openActivities[randomInt(v.openActivities.length)];
          const key = `${r.residentId}:${activityId}`;
          if (signedUp.has(key)) {
            signedUp.delete(key);
            return void (await run(op.name, `mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activityId }, r.token));
          }
          signedUp.add(key);
          return void (await run(op.name, `mutation($a: ID!) { signUpForActivity(activityId: $a) { status waitlistPosition } }`, { a: activityId }, r.token));
        }
        case 'write: check in':
          return void (await run(op.name, `mutation($i: CheckInInput!) { checkIn(input: $i) { attendance } }`, { i: { activityId: v.runningActivity, code: v.checkinCode } }, r.token));
        case 'write: enrol / cancel': {
          const key = `${r.residentId}:${v.course}`;
          if (enrolled.has(key)) {
            enrolled.delete(key);
            return void (await run(op.name, `mutation($c: ID!) { cancelEnrolment(courseId: $c) { status } }`, { c: v.course }, r.token));
          }
          enrolled.add(key);
          return void (await run(op.name, `mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: v.course }, r.token));
        }
      }
    };

    console.log(`\nwarm-up 5 s, then ${SECONDS} s of the mix at ${CONNECTIONS} connections…`);
    await runFor(5, CONNECTIONS, mixed);
    for (const list of latencies.values()) list.length = 0;
    outcomes.clear();
    const mix = await runFor(SECONDS, CONNECTIONS, mixed, service.pid);
    clearInterval(codeTimer);
    const ownTypename = await typenameRate(port, service.pid!, CONNECTIONS, Math.min(SECONDS, 20));
    await reference.measure('last');

    console.log(`\nmixed load           ${fmt(mix)}`);
    for (const op of OPERATIONS) console.log(`  ${op.name.padEnd(26)} ${fmt(summarise(latencies.get(op.name)!, SECONDS))}`);
    const reads = OPERATIONS.filter((o) => !o.write).reduce((n, o) => n + latencies.get(o.name)!.length, 0);
    console.log(`  reads ${((100 * reads) / mix.count).toFixed(1)}%, writes ${((100 * (mix.count - reads)) / mix.count).toFixed(1)}%`);
    console.log(`  outcomes: ${[...outcomes].sort().map(([k, n]) => `${k} ${n}`).join('; ')}`);
    console.log(`  resent after a connection reset: ${resends.count}`);
    console.log(`own { __typename }   ${fmt(ownTypename)}`);
    console.log(`${reference.describe()}\n`);
    const bareCpu = reference.cpuMsPerRequest;
    printRatio('mixed ÷ bare', mix.perSecond / reference.perSecond, 'target >= 0.3, with a clean reconciliation', { of: mix, reference: bareCpu });
    printRatio('own { __typename } ÷ bare', ownTypename.perSecond / reference.perSecond, 'target >= 1.0', { of: ownTypename, reference: bareCpu });
    printRatio('mixed ÷ own { __typename }', mix.perSecond / ownTypename.perSecond, 'information only');

    const report = await post(agent, port, `query($t: ID!) { reconciliation(townshipId: $t) { ok accountsChecked entriesChecked postingsChecked storedTotal mismatchedAccounts { accountId } } }`, { t: townshipId }, await adminToken(db.url));
    const r = report.data?.reconciliation;
    console.log(
      `reconciliation: ${r?.ok ? 'CLEAN' : 'NOT CLEAN'} — ${r?.accountsChecked} accounts, ${r?.entriesChecked} entries, ${r?.postingsChecked} postings, township total ${r?.storedTotal}, ${r?.mismatchedAccounts?.length} mismatched`,
    );
    if (failures.length) console.log(`server errors: ${failures.length}, e.g. ${failures[0]}`);
    if (!r?.ok || failures.length) process.exitCode = 1;
    agent.destroy();
  } finally {
    await stopService(service);
    await stopService(bareHello);
    await db.drop();
    await removeQueueKeys(QUEUE_PREFIX);
  }
}

/** The demo admin (13800000001), signed with the service's secret. */
async function adminToken(databaseUrl: string): Promise<string> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query(`SELECT id FROM person WHERE mobile = '13800000001'`);
  await client.end();
  return new TokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: BENCH_SECRETS.JWT_SECRET })).issueAccessToken(rows[0].id).token;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
