import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CliModule } from '../../src/cli.module';
import { loadConfig } from '../../src/config/app-config';
import { addMonths, monthOf } from '../../src/common/time/shanghai-month';
import { monthRange } from '../../src/common/time/shanghai-month';
import { DEMO_COURSE, DEMO_LAST_MONTH_ACTIVITY, DEMO_TEAMS, seedDemo, shopkeeperMobile } from '../../src/demo/demo-seed';
import { ShopRepository } from '../../src/shop/shop.repository';
import { LedgerService } from '../../src/ledger/ledger.service';
import { dbFingerprint } from '../support/db-fingerprint';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * The demo seed at a small scale (3 villages × 24 residents), run twice. It connects as
 * the ledger's owner role, as `npm run seed:demo` does on the embedded PostgreSQL: only
 * that role may date last month's entries.
 */
describe('demo seed', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  const prefix = testQueuePrefix();
  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' });
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config, db.ownerUrl), { logger: false });
  });
  afterAll(async () => {
    await app.close();
    await removeQueueKeys(prefix);
    await db.drop();
  });

  it('creates a township with something on every screen, and a second run changes nothing', async () => {
    const first = await seedDemo(app, { villages: 3, residentsPerVillage: 24 });
    const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
    expect(first.villages.map((v) => v.name)).toEqual(['武兴庄村', '大东各庄村', '西营村']);
    const [{ teams }] = await q(`SELECT count(*)::int AS teams FROM service_team`);
    expect(teams).toBe(3 * DEMO_TEAMS.length);
    const [{ residents }] = await q(`SELECT count(*)::int AS residents FROM resident`);
    expect(residents).toBe(3 * 24);
    const [{ managers }] = await q(`SELECT count(*)::int AS managers FROM role_assignment WHERE role = 'BRANCH_MANAGER'`);
    expect(managers).toBe(3);
    // Published theme lists, activities (one completed, two open), the course, points history.
    const [{ lists }] = await q(`SELECT count(*)::int AS lists FROM theme_publication`);
    expect(lists).toBe(3);
    const statuses = await q(`SELECT status, count(*)::int AS n FROM activity GROUP BY status ORDER BY status`);
    expect(statuses).toEqual([
      { status: 'COMPLETED', n: 3 * 2 },
      { status: 'PUBLISHED', n: 6 },
    ]);
    // This month and last month each: 16 attendees paid per village, 5 of them spend on a course;
    // at the shop two redeem last month (both picked up) and one this month (waiting).
    const month = monthOf(new Date());
    const booked = await q(
      `SELECT to_char(period, 'YYYY-MM') AS month, kind, count(*)::int AS n FROM journal_entry GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(booked).toEqual([
      { month: addMonths(month, -1), kind: 'MINT', n: 3 * 16 },
      { month: addMonths(month, -1), kind: 'SPEND', n: 3 * (5 + 2) },
      { month, kind: 'MINT', n: 3 * 16 },
      { month, kind: 'SPEND', n: 3 * (5 + 1) },
    ]);
    // Every village has last month's figures to settle: minted and spent, not zero.
    const lastMonthByBranch = await q(
      `SELECT b.name, -sum(p.amount) FILTER (WHERE a.kind = 'BRANCH_ISSUANCE')::int AS minted,
              sum(p.amount) FILTER (WHERE a.kind = 'BRANCH_REDEMPTION')::int AS spent
       FROM posting p JOIN account a ON a.id = p.account_id JOIN branch b ON b.id = a.branch_id
       WHERE p.period = $1 GROUP BY b.name`,
      [`${addMonths(month, -1)}-01`],
    );
    expect(lastMonthByBranch.sort((x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name))).toEqual(
      ['武兴庄村', '大东各庄村', '西营村'].sort((x, y) => x.localeCompare(y)).map((name) => ({ name, minted: 16 * 2, spent: 5 * 2 + 2 + 2 })),
    );
    const [{ held }] = await q(`SELECT count(*)::int AS held FROM activity WHERE title = $1 AND status = 'COMPLETED'`, [DEMO_LAST_MONTH_ACTIVITY]);
    expect(held).toBe(3);
    const [{ courses }] = await q(`SELECT count(*)::int AS courses FROM course WHERE title = $1`, [DEMO_COURSE]);
    expect(courses).toBe(3);
    // A household per village: residents 21 (head) and 22, and the child 小宝.
    const households = await q(
      `SELECT (SELECT count(*)::int FROM household_member m WHERE m.household_id = h.id) AS members,
              (SELECT string_agg(d.name, ',') FROM household_dependent d WHERE d.household_id = h.id) AS dependents
       FROM household h`,
    );
    expect(households).toEqual(Array(3).fill({ members: 2, dependents: '小宝' }));
    // The good-deed table and a scoring group of two in every village.
    const [{ kinds, scorers }] = await q(`SELECT (SELECT count(*) FROM deed_kind)::int AS kinds, (SELECT count(*) FROM deed_scorer)::int AS scorers`);
    expect({ kinds, scorers }).toEqual({ kinds: 5, scorers: 3 * 2 });
    // The points shop: pickup days, five goods, a shopkeeper who can log in, donations by a firm and a person.
    const shops = await q(`SELECT pickup_weekdays AS days, opens_at AS opens, closes_at AS closes FROM shop`);
    expect(shops).toEqual(Array(3).fill({ days: [3, 6], opens: '09:00', closes: '11:30' }));
    const keepers = await q(
      `SELECT p.mobile, r.branch_id::text AS branch FROM role_assignment r JOIN person p ON p.id = r.person_id WHERE r.role = 'SHOPKEEPER' ORDER BY p.mobile`,
    );
    expect(keepers).toEqual(first.villages.map((v, i) => ({ mobile: shopkeeperMobile(i), branch: v.branchId })));
    const redemptions = await q(
      `SELECT status, to_char(redeemed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, count(*)::int AS n FROM shop_redemption GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(redemptions).toEqual([
      { status: 'PICKED_UP', month: addMonths(month, -1), n: 3 * 2 },
      { status: 'RESERVED', month, n: 3 },
    ]);
    // What last month's public statement of a village shows (once settled).
    const { start, end } = monthRange(addMonths(month, -1));
    const figures = await app.get(ShopRepository).monthFigures(first.villages[0].branchId, start, end);
    expect(figures.donations.map((d) => [d.donorKind, d.donorName, d.item, d.quantity, d.points])).toEqual([
      ['ORGANISATION', '潞城镇粮油公司', '东北大米 5kg', 20, 300],
      ['PERSON', '王德明', '食用油 5L', 10, 200],
      ['ORGANISATION', '潞城镇永安日化店', '香皂', 40, 40],
    ]);
    const byItem = (a: { item: string }, b: { item: string }) => a.item.localeCompare(b.item);
    expect([...figures.goods].sort(byItem)).toEqual([
      { item: '东北大米 5kg', unit: '袋', redeemed: 0, points: 0, stockLeft: 20 },
      { item: '毛巾', unit: '条', redeemed: 1, points: 2, stockLeft: 29 },
      { item: '洗衣液 2kg', unit: '瓶', redeemed: 0, points: 0, stockLeft: 20 },
      { item: '食用油 5L', unit: '桶', redeemed: 0, points: 0, stockLeft: 10 },
      { item: '香皂', unit: '块', redeemed: 2, points: 2, stockLeft: 38 },
    ].sort(byItem));
    const report = await db.dataSource.transaction((m) => new LedgerService().reconcile(m, first.townshipId));
    expect(report.ok).toBe(true);

    const before = await dbFingerprint(db.dataSource);
    const second = await seedDemo(app, { villages: 3, residentsPerVillage: 24 });
    expect(second).toEqual(first);
    const after = await dbFingerprint(db.dataSource);
    expect(after).toEqual(before);
  }, 120_000);
});
