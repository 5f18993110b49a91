import { monthOf } from '../../src/common/time/shanghai-month';
import { randomUUID } from 'node:crypto';
import { TokenService } from '../../src/auth/token.service';
import { Clock } from '../../src/common/time/clock';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { nextMobile, seedTownship, SeededTownship } from './factories';
import { GqlResponse, TestApp } from './test-app';

export const HOUR = 3600_000;
export const MINUTE = 60_000;

/** A seeded township with tokens for its residents, a manager per branch and an admin. */
export interface World {
  township: SeededTownship;
  /** tokens[b][r]: resident r of branch b. */
  residentTokens: string[][];
  managerTokens: string[];
  adminToken: string;
}

/** Issues an access token directly (the login flow itself is tested in the auth tests). */
export function tokenFor(t: TestApp, personId: string): string {
  return t.app.get(TokenService).issueAccessToken(personId).token;
}

export async function seedWorld(t: TestApp, opts: { branches?: number; residentsPerBranch?: number } = {}): Promise<World> {
  const township = await seedTownship(t.db.dataSource, opts);
  const staff = async (role: 'BRANCH_MANAGER' | 'TOWNSHIP_ADMIN', branchId: string | null) => {
    const [{ id }] = await t.db.dataSource.query(`INSERT INTO person (township_id, name, mobile) VALUES ($3, $1, $2) RETURNING id`, [
      role === 'TOWNSHIP_ADMIN' ? '镇管理员' : '村书记',
      nextMobile(),
      township.id,
    ]);
    await t.db.dataSource.query(`INSERT INTO role_assignment (person_id, role, township_id, branch_id) VALUES ($1, $2, $3, $4)`, [
      id,
      role,
      township.id,
      branchId,
    ]);
    return tokenFor(t, id);
  };
  const managerTokens: string[] = [];
  for (const b of township.branches) managerTokens.push(await staff('BRANCH_MANAGER', b.id));
  return {
    township,
    residentTokens: township.branches.map((b) => b.residents.map((r) => tokenFor(t, r.personId))),
    managerTokens,
    adminToken: await staff('TOWNSHIP_ADMIN', null),
  };
}

/** Moves the service's clock (not the database's) to `at`, or back to real time. */
export function setNow(t: TestApp, at: Date | null): void {
  const clock = t.app.get(Clock);
  if (at === null) {
    jest.restoreAllMocks();
    return;
  }
  jest.spyOn(clock, 'now').mockImplementation(() => new Date(at));
}

/** Gives residents points through the ledger (an adjustment), for spending tests. */
export async function grantPoints(t: TestApp, townshipId: string, accountIds: string[], points: number): Promise<void> {
  const ledger = new LedgerService();
  const tx = new TransactionRunner(t.db.dataSource);
  const [{ id: adjustment }] = await t.db.dataSource.query(
    `SELECT id FROM account WHERE township_id = $1 AND kind = 'TOWNSHIP_ADJUSTMENT'`,
    [townshipId],
  );
  await tx.run(async (m) => {
    for (const accountId of accountIds) {
      await ledger.post(m, {
        townshipId,
        kind: EntryKind.ADJUSTMENT,
        idempotencyKey: `test-grant:${randomUUID()}`,
        memo: '测试发放',
        lines: [
          { accountId, amount: points },
          { accountId: adjustment, amount: -points },
        ],
      });
    }
  });
}

export const ACTIVITY_FIELDS = `id status capacity confirmedCount remainingPlaces waitlistCount title rewardPoints cancelReason themeId branchId`;
export const SIGNUP_FIELDS = `id activityId residentId status waitlistPosition attendance rewardEntryId cancelReason`;

/** Creates (and by default publishes) an activity over GraphQL; returns its id. */
export async function createActivity(
  t: TestApp,
  token: string,
  branchId: string,
  overrides: Record<string, unknown> = {},
  publish = true,
): Promise<string> {
  const now = Date.now();
  const input = {
    branchId,
    title: '平安有我消防安全宣传',
    place: '村委会广场',
    startsAt: new Date(now + 2 * HOUR).toISOString(),
    endsAt: new Date(now + 4 * HOUR).toISOString(),
    signupDeadline: new Date(now + 1 * HOUR).toISOString(),
    capacity: 10,
    rewardPoints: 2,
    ...overrides,
  };
  const res = await t.gql(`mutation($i: CreateActivityInput!) { createActivity(input: $i) { id status } }`, { i: input }, token);
  if (res.errors) throw new Error(`createActivity: ${JSON.stringify(res.errors)}`);
  const id = res.data.createActivity.id;
  if (publish) {
    const pub = await t.gql(`mutation($id: ID!) { publishActivity(id: $id) { status } }`, { id }, token);
    if (pub.errors) throw new Error(`publishActivity: ${JSON.stringify(pub.errors)}`);
  }
  return id;
}

export function ok<T = any>(res: GqlResponse<T>): T {
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

/**
 * A township theme on `branchId`'s published list for the month of `at` (Asia/Shanghai),
 * written directly: publication itself is tested in test/themes.
 */
export async function publishedTheme(t: TestApp, townshipId: string, branchId: string, at: Date, title = '平安有我'): Promise<string> {
  const month = `${monthOf(at)}-01`;
  const [{ id }] = await t.db.dataSource.query(
    `INSERT INTO theme (township_id, branch_id, month, title, suggested_points) VALUES ($1, NULL, $2, $3, 2) RETURNING id`,
    [townshipId, month, title],
  );
  await t.db.dataSource.query(
    `INSERT INTO theme_publication (township_id, branch_id, month) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [townshipId, branchId, month],
  );
  await t.db.dataSource.query(
    `INSERT INTO theme_publication_item (township_id, branch_id, month, theme_id, position)
     VALUES ($4, $1, $2, $3, (SELECT count(*) FROM theme_publication_item WHERE branch_id = $1 AND month = $2))`,
    [branchId, month, id, townshipId],
  );
  return id;
}
