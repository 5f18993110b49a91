import { execFileSync } from 'node:child_process';
import { seedTownship, SeededTownship } from '../support/factories';
import { FakeWechat, startFakeWechat, wechatError } from '../support/fake-wechat';
import { testQueuePrefix } from '../support/redis';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { startThrowawayRedis, ThrowawayService } from '../support/throwaway-services';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Exactly one delivery per (event, recipient), in the production topology doubled: two
 * worker processes take the notification jobs of one queue, and Redis (a server of this
 * test's own, without persistence) is emptied and restarted while WeChat messages are
 * going out. Outbox events are committed with no job queued at all (what a process killed
 * between its commit and its queueing leaves); WeChat answers slowly and rate-limits now
 * and then. Every resident must have one inbox row per event and one WeChat message per
 * event: none lost with the queue, none sent twice by two workers or a re-queued batch.
 */
describe('notification delivery with two workers and a Redis restart', () => {
  let db: TestDatabase;
  let redis: ThrowawayService;
  let wechat: FakeWechat;
  const workers: WorkerProcess[] = [];
  let town: SeededTownship;
  const EVENTS = 3;

  beforeAll(async () => {
    [db, redis, wechat] = await Promise.all([createTestDatabase(), startThrowawayRedis({ appendOnly: false }), startFakeWechat()]);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: testQueuePrefix(),
      LOG_LEVEL: 'silent',
      WECHAT_API_BASE_URL: wechat.baseUrl,
      WECHAT_APPID: wechat.appid,
      WECHAT_SECRET: wechat.secret,
      WECHAT_TEMPLATE_THEMES: 'tmpl-themes',
      NOTIFY_QUIET_HOURS: '',
      NOTIFY_SWEEP_SECONDS: '1',
      NOTIFY_WECHAT_BACKOFF_MS: '300',
    };
    town = await seedTownship(db.dataSource, { branches: 1, residentsPerBranch: 150 });
    const persons = town.branches[0].residents.map((r) => r.personId);
    // Everyone bound WeChat and accepted the template.
    await db.dataSource.query(`UPDATE person SET wechat_openid = 'openid-' || id WHERE id = ANY($1::uuid[])`, [persons]);
    await db.dataSource.query(
      `INSERT INTO notification_setting (person_id, township_id, wechat_kinds) SELECT unnest($1::uuid[]), $2, ARRAY['THEMES_PUBLISHED']`,
      [persons, town.id],
    );
    // Starting from source is slow on a busy machine.
    workers.push(...(await Promise.all([startWorkerProcess(env, 120_000), startWorkerProcess(env, 120_000)])));
  }, 180_000);
  afterAll(async () => {
    for (const w of workers) await w.kill9().catch(() => undefined);
    await redis?.destroy();
    await wechat?.close();
    await db?.drop();
  });

  it('every resident gets each event once in the inbox and once on WeChat', async () => {
    wechat.subscribeDelayMs = 15;
    wechat.subscribeReplies.push(wechatError(45009, 'reach max api daily quota limit'));
    const branchId = town.branches[0].id;
    // The outbox rows as a feature's transaction writes them; no job is queued for them.
    for (let i = 0; i < EVENTS; i++) {
      await db.dataSource.query(
        `INSERT INTO notification_event (township_id, kind, event_key, audience, title, body, data)
         VALUES ($1, 'THEMES_PUBLISHED', $2, $3, '主题已发布', '本月主题', $4)`,
        [town.id, `fault:${i}`, JSON.stringify({ branchResidents: branchId }), JSON.stringify({ branchId, month: `2026-0${i + 1}` })],
      );
    }
    const residents = town.branches[0].residents.length;
    const total = EVENTS * residents;
    await waitFor('a fifth of the WeChat messages', async () => wechat.subscribeSent.length >= total / 5, 30_000, 20);

    // Redis loses everything mid-delivery, and comes back.
    execFileSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL'], { stdio: 'pipe' });
    await redis.stop();
    await redis.start();
    wechat.subscribeReplies.push(wechatError(45009, 'reach max api daily quota limit'));

    await waitFor(
      'every WeChat message',
      async () => {
        const [{ done }] = await db.dataSource.query(`SELECT count(*)::int AS done FROM notification WHERE wechat_status = 'SENT'`);
        return done === total;
      },
      60_000,
      200,
    );
    // Give re-queued batches and both workers' sweeps time to do anything extra.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const [inbox] = await db.dataSource.query(
      `SELECT count(*)::int AS rows, count(DISTINCT (event_id, person_id))::int AS pairs,
              count(*) FILTER (WHERE wechat_status = 'SENT')::int AS sent FROM notification`,
    );
    expect(inbox).toEqual({ rows: total, pairs: total, sent: total });
    // WeChat got exactly one message per notification row: no duplicates, none missing.
    const pages = wechat.subscribeSent.map((m) => m.page);
    expect(pages.length).toBe(total);
    expect(new Set(pages).size).toBe(total);
    const perResident = new Map<string, number>();
    for (const m of wechat.subscribeSent) perResident.set(m.touser, (perResident.get(m.touser) ?? 0) + 1);
    expect(perResident.size).toBe(residents);
    expect([...perResident.values()].every((n) => n === EVENTS)).toBe(true);
    // Both workers stayed up through the restart.
    for (const w of workers) expect(w.child.exitCode).toBeNull();
  }, 120_000);
});
