import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CliModule } from '../../src/cli.module';
import { loadConfig } from '../../src/config/app-config';
import { DEMO_COURSE, DEMO_TEAMS, seedDemo } from '../../src/demo/demo-seed';
import { LedgerService } from '../../src/ledger/ledger.service';
import { dbFingerprint } from '../support/db-fingerprint';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** The demo seed at a small scale (3 villages × 24 residents), run twice. */
describe('demo seed', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  const prefix = testQueuePrefix();
  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' });
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config, db.url), { logger: false });
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
      { status: 'COMPLETED', n: 3 },
      { status: 'PUBLISHED', n: 6 },
    ]);
    const [{ minted }] = await q(`SELECT count(*)::int AS minted FROM journal_entry WHERE kind = 'MINT'`);
    expect(minted).toBe(3 * 16);
    const [{ spent }] = await q(`SELECT count(*)::int AS spent FROM journal_entry WHERE kind = 'SPEND'`);
    expect(spent).toBe(3 * 5);
    const [{ courses }] = await q(`SELECT count(*)::int AS courses FROM course WHERE title = $1`, [DEMO_COURSE]);
    expect(courses).toBe(3);
    const report = await db.dataSource.transaction((m) => new LedgerService().reconcile(m, first.townshipId));
    expect(report.ok).toBe(true);

    const before = await dbFingerprint(db.dataSource);
    const second = await seedDemo(app, { villages: 3, residentsPerVillage: 24 });
    expect(second).toEqual(first);
    const after = await dbFingerprint(db.dataSource);
    expect(after).toEqual(before);
  }, 120_000);
});
