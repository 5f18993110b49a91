/**
 * npm run bench:notify — a month's themes published for 54 villages × 2,000 residents:
 * 108,000 notifications, from the outbox rows the publication writes (one per village)
 * to every resident's inbox row, with the real workers (in this process, queues on the
 * machine's Redis under a throwaway prefix).
 *
 * Each village's publication transaction adds one outbox INSERT; one expansion job per
 * village writes its 2,000 inbox rows in one statement and queues that village's WeChat
 * batches with one addBulk (BENCH_WECHAT_SHARE of the residents bound WeChat and accepted
 * the template, sent to a local fake WeChat). Prints the wall time from the publication
 * request to the last inbox row, and to the last WeChat message.
 *
 * Env: BENCH_BRANCHES (54), BENCH_RESIDENTS_PER_BRANCH (2000), BENCH_WECHAT_SHARE (0.1), WORKER_CONCURRENCY (4).
 */
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { monthOf } from '../../src/common/time/shanghai-month';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { JobQueues } from '../../src/jobs/job-queues';
import { NOTIFICATIONS_QUEUE, NOTIFICATIONS_WECHAT_QUEUE } from '../../src/notifications/notification.jobs';
import { ThemeService } from '../../src/themes/theme.service';
import { WorkerModule } from '../../src/worker.module';
import { startFakeWechat } from '../support/fake-wechat';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { benchDatabase } from './bench-util';

const BRANCHES = Number(process.env.BENCH_BRANCHES ?? 54);
const PER_BRANCH = Number(process.env.BENCH_RESIDENTS_PER_BRANCH ?? 2000);
const WECHAT_SHARE = Number(process.env.BENCH_WECHAT_SHARE ?? 0.1);
const TOTAL = BRANCHES * PER_BRANCH;

async function seed(ds: DataSource, month: string): Promise<string> {
  return ds.transaction(async (m) => {
    const [{ id: townshipId }] = await m.query(`INSERT INTO township (code, name) VALUES ('bench', '基准镇') RETURNING id`);
    const branchIds: string[] = (
      await m.query(`INSERT INTO branch (township_id, name) SELECT $1, '村' || g FROM generate_series(1, $2) g RETURNING id`, [townshipId, BRANCHES])
    ).map((r: { id: string }) => r.id);
    await m.query(
      `INSERT INTO person (township_id, name, mobile, wechat_openid)
       SELECT $2::uuid, '居民' || g, '13' || lpad(g::text, 9, '0'), CASE WHEN g % 1000 < $3::float8 * 1000 THEN 'openid-' || g END
       FROM generate_series(1, $1) g`,
      [TOTAL, townshipId, WECHAT_SHARE],
    );
    await m.query(
      `INSERT INTO resident (person_id, township_id, branch_id)
       SELECT p.id, $1, ($2::uuid[])[1 + (row_number() OVER (ORDER BY p.id) % $3)] FROM person p WHERE p.township_id = $1`,
      [townshipId, branchIds, BRANCHES],
    );
    await m.query(
      `INSERT INTO notification_setting (person_id, township_id, wechat_kinds)
       SELECT id, township_id, ARRAY['THEMES_PUBLISHED'] FROM person WHERE township_id = $1 AND wechat_openid IS NOT NULL`,
      [townshipId],
    );
    await m.query(`INSERT INTO theme (township_id, branch_id, month, title, suggested_points) VALUES ($1, NULL, $2, '平安有我', 2), ($1, NULL, $2, '文明交通', 2)`, [
      townshipId,
      `${month}-01`,
    ]);
    return townshipId;
  });
}

async function main() {
  const month = monthOf(new Date());
  const db = await benchDatabase('notify');
  const prefix = testQueuePrefix();
  const wechat = await startFakeWechat();
  const admin = new DataSource(dataSourceOptions(db.url, 2, 'bench-seed'));
  await admin.initialize();
  try {
    console.log(`seeding ${BRANCHES} villages × ${PER_BRANCH} residents (${Math.round(WECHAT_SHARE * 100)}% with WeChat bound)…`);
    const townshipId = await seed(admin, month);
    await admin.query('ANALYZE');
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      NOTIFY_QUIET_HOURS: '',
      WECHAT_API_BASE_URL: wechat.baseUrl,
      WECHAT_APPID: wechat.appid,
      WECHAT_SECRET: wechat.secret,
      WECHAT_TEMPLATE_THEMES: 'tmpl-themes',
      ...(process.env.WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY } : {}),
    });
    const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, db.url), { logger: ['error', 'warn'] });
    const count = async (where = 'true'): Promise<number> => (await admin.query(`SELECT count(*)::int AS n FROM notification WHERE ${where}`))[0].n;
    const bound = (await admin.query(`SELECT count(*)::int AS n FROM person WHERE wechat_openid IS NOT NULL`))[0].n as number;

    const started = performance.now();
    // What the scheduler on the 1st (or an admin's publishThemes) queues.
    await app.get(ThemeService).enqueuePublication(townshipId, month, 0, null);
    let inboxAt = 0;
    let published = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const rows = await count();
      if (!published && (await admin.query(`SELECT count(*)::int AS n FROM theme_publication`))[0].n === BRANCHES) published = performance.now();
      if (rows === TOTAL && !inboxAt) inboxAt = performance.now();
      if (inboxAt && wechat.subscribeSent.length >= bound) break;
      if (performance.now() - started > 600_000) throw new Error(`timed out: ${rows} inbox rows, ${wechat.subscribeSent.length} WeChat messages`);
    }
    const done = performance.now();
    const s = (t: number) => ((t - started) / 1000).toFixed(2);
    const queues = app.get(JobQueues);
    const counts = await queues.queue(NOTIFICATIONS_QUEUE).getJobCounts('completed', 'failed');
    const wechatCounts = await queues.queue(NOTIFICATIONS_WECHAT_QUEUE).getJobCounts('completed', 'failed');
    const [{ events }] = await admin.query(`SELECT count(*)::int AS events FROM notification_event`);
    console.log(`\n${BRANCHES} theme lists published in ${s(published)} s (${events} outbox rows: one per village)`);
    console.log(`${TOTAL} inbox notifications delivered in ${s(inboxAt)} s from the request (${Math.round(TOTAL / ((inboxAt - started) / 1000))}/s)`);
    console.log(`${wechat.subscribeSent.length} WeChat messages (of ${bound} bound) sent by ${s(done)} s`);
    console.log(`expansion and sweep jobs: ${counts.completed} completed, ${counts.failed} failed; WeChat batch jobs: ${wechatCounts.completed} completed, ${wechatCounts.failed} failed`);
    const [{ pairs }] = await admin.query(`SELECT count(DISTINCT (event_id, person_id))::int AS pairs FROM notification`);
    console.log(`inbox rows ${await count()}, distinct (event, resident) ${pairs}; WeChat messages to distinct notifications ${new Set(wechat.subscribeSent.map((m) => m.page)).size}`);
    await app.close();
  } finally {
    await admin.destroy();
    await wechat.close();
    await removeQueueKeys(prefix);
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
