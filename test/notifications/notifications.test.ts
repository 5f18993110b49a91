import { randomUUID } from 'node:crypto';
import { monthOf } from '../../src/common/time/shanghai-month';
import { NotificationOutbox } from '../../src/notifications/notification-outbox';
import { NotificationKind } from '../../src/notifications/notification.kinds';
import { courseInput } from '../api/authorization-matrix';
import { createActivity, grantPoints, HOUR, MINUTE, ok, seedWorld, setNow, World } from '../support/activity-fixture';
import { FakeWechat, startFakeWechat, wechatError } from '../support/fake-wechat';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const TEMPLATES = {
  WECHAT_TEMPLATE_THEMES: 'tmpl-themes',
  WECHAT_TEMPLATE_PROMOTED: 'tmpl-promoted',
  WECHAT_TEMPLATE_REMINDER: 'tmpl-reminder',
  WECHAT_TEMPLATE_POINTS: 'tmpl-points',
  WECHAT_TEMPLATE_COURSE_CANCELLED: 'tmpl-course',
  WECHAT_TEMPLATE_SETTLEMENT: 'tmpl-settlement',
};

const INBOX = `query($first: Int, $after: String, $unread: Boolean) { notifications(first: $first, after: $after, unreadOnly: $unread) {
  edges { node { id kind title body readAt activityId courseId month points } } pageInfo { hasNextPage endCursor } } }`;

/** Quiet hours around now (Asia/Shanghai), so the test does not depend on the time of day. */
function quietWindowAroundNow(): string {
  const hhmm = (d: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
  return `${hhmm(new Date(Date.now() - HOUR))}-${hhmm(new Date(Date.now() + HOUR))}`;
}

describe('notifications: the outbox, the inbox and WeChat subscription messages', () => {
  let wechat: FakeWechat;
  let t: TestApp;
  let w: World;
  let branchId: string;
  let townshipId: string;
  let residents: { id: string; personId: string; accountId: string; token: string }[];

  beforeAll(async () => {
    wechat = await startFakeWechat();
    t = await startTestApp({
      WECHAT_API_BASE_URL: wechat.baseUrl,
      WECHAT_APPID: wechat.appid,
      WECHAT_SECRET: wechat.secret,
      ...TEMPLATES,
      NOTIFY_QUIET_HOURS: '',
      NOTIFY_SWEEP_SECONDS: '1',
      NOTIFY_WECHAT_BACKOFF_MS: '400',
    });
    w = await seedWorld(t, { branches: 2, residentsPerBranch: 6 });
    townshipId = w.township.id;
    branchId = w.township.branches[0].id;
    residents = w.township.branches[0].residents.map((r, i) => ({ ...r, token: w.residentTokens[0][i] }));
    await grantPoints(t, townshipId, residents.map((r) => r.accountId), 20);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await wechat?.close();
  });

  const inbox = async (token: string, vars: Record<string, unknown> = {}) => ok(await t.gql(INBOX, { first: 50, ...vars }, token)).notifications;
  const unread = async (token: string) => ok(await t.gql(`{ me { unreadNotifications } }`, {}, token)).me.unreadNotifications as number;
  const kindsIn = async (token: string) => (await inbox(token)).edges.map((e: any) => e.node.kind);
  const waitForKind = (token: string, kind: NotificationKind, count = 1) =>
    waitFor(`${count} ${kind} in the inbox`, async () => (await kindsIn(token)).filter((k: string) => k === kind).length >= count, 15_000);
  const bind = async (r: { personId: string; token: string }, openid = `openid-${r.personId}`) => {
    await t.db.dataSource.query(`UPDATE person SET wechat_openid = $2 WHERE id = $1`, [r.personId, openid]);
    ok(await t.gql(`mutation($ids: [String!]!) { acceptWechatTemplates(templateIds: $ids) { kinds { kind wechatAccepted } } }`, { ids: Object.values(TEMPLATES) }, r.token));
    return openid;
  };
  const rowsOf = (personId: string, kind: NotificationKind) =>
    t.db.dataSource.query(
      `SELECT n.id::text AS id, n.muted, n.wechat_status AS "wechatStatus", n.wechat_after AS "wechatAfter", n.wechat_attempts AS attempts
       FROM notification n WHERE n.person_id = $1 AND n.kind = $2 ORDER BY n.id`,
      [personId, kind],
    );
  const sentTo = (openid: string, template?: string) => wechat.subscribeSent.filter((m) => m.touser === openid && (!template || m.template_id === template));

  it("publishing the month's themes tells the village's residents, and nobody else; the inbox pages, counts and marks read", async () => {
    const month = monthOf(new Date());
    const admin = w.adminToken;
    await t.db.dataSource.query(`INSERT INTO theme (township_id, branch_id, month, title, suggested_points) VALUES ($1, NULL, $2, '平安有我', 2)`, [
      townshipId,
      `${month}-01`,
    ]);
    ok(await t.gql(`mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal } }`, { t: townshipId, m: month }, admin));
    for (const r of residents) await waitForKind(r.token, NotificationKind.THEMES_PUBLISHED);
    const [first] = (await inbox(residents[0].token)).edges;
    expect(first.node).toMatchObject({ kind: 'THEMES_PUBLISHED', readAt: null, month, title: expect.stringContaining('主题已发布') });
    // One row per resident of the village, once; the other village's residents have their own event.
    const [{ rows, persons }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS rows, count(DISTINCT n.person_id)::int AS persons FROM notification n JOIN notification_event e ON e.id = n.event_id
       WHERE e.kind = 'THEMES_PUBLISHED' AND e.data->>'branchId' = $1`,
      [branchId],
    );
    expect({ rows, persons }).toEqual({ rows: 6, persons: 6 });
    // The manager and the admin are not residents of the village: nothing for them.
    expect(await kindsIn(w.managerTokens[0])).toEqual([]);

    // Unread count on me, mark one read, keyset pages, mark all read.
    const token = residents[1].token;
    expect(await unread(token)).toBe(1);
    const marked = ok(await t.gql(`mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }`, { id: (await inbox(token)).edges[0].node.id }, token));
    expect(marked.markNotificationRead.readAt).not.toBeNull();
    expect(await unread(token)).toBe(0);
    // Somebody else's notification is not found, and stays unread.
    const other = (await inbox(residents[2].token)).edges[0].node.id;
    const refused = await t.gql(`mutation($id: ID!) { markNotificationRead(id: $id) { id } }`, { id: other }, token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await unread(residents[2].token)).toBe(1);
    const bad = await t.gql(`mutation($id: ID!) { markNotificationRead(id: $id) { id } }`, { id: 'x1' }, token);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  }, 60_000);

  it('points spent, refunded, a course cancelled with its refund, points minted: each to its resident', async () => {
    const [r] = residents;
    const manager = w.managerTokens[0];
    const { id: course, pricePoints } = ok(
      await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id pricePoints } }`, { i: courseInput(branchId) }, manager),
    ).createCourse;
    ok(await t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: course }, r.token));
    await waitForKind(r.token, NotificationKind.POINTS_SPENT);
    expect((await inbox(r.token)).edges.find((e: any) => e.node.kind === 'POINTS_SPENT').node).toMatchObject({ courseId: course, points: pricePoints });
    ok(await t.gql(`mutation($c: ID!) { cancelEnrolment(courseId: $c) { status } }`, { c: course }, r.token));
    await waitForKind(r.token, NotificationKind.POINTS_REFUNDED);
    const refunded = (await inbox(r.token)).edges.find((e: any) => e.node.kind === 'POINTS_REFUNDED').node;
    expect(refunded).toMatchObject({ courseId: course, points: pricePoints });

    // Two enrolled, the branch cancels: both told, once, with the refund.
    ok(await t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: course }, r.token));
    ok(await t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: course }, residents[1].token));
    ok(await t.gql(`mutation($i: CancelCourseInput!) { cancelCourse(input: $i) { status } }`, { i: { id: course, reason: '老师临时有事' } }, manager));
    await waitForKind(r.token, NotificationKind.COURSE_CANCELLED);
    await waitForKind(residents[1].token, NotificationKind.COURSE_CANCELLED);
    expect((await kindsIn(residents[2].token)).includes('COURSE_CANCELLED')).toBe(false);
    const cancelled = (await inbox(r.token)).edges.find((e: any) => e.node.kind === 'COURSE_CANCELLED').node;
    expect(cancelled.body).toContain('老师临时有事');

    // Attendance paid: POINTS_MINTED to the attendee only.
    const activity = await createActivity(t, manager, branchId, { capacity: 5 });
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, residents[3].token));
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, residents[4].token));
    setNow(t, new Date(Date.now() + 2 * HOUR + MINUTE));
    try {
      ok(await t.gql(`mutation($i: MarkAttendanceInput!) { markAttendance(input: $i) { attendance } }`, {
        i: { activityId: activity, residentIds: [residents[3].id], attendance: 'PRESENT' },
      }, manager));
      ok(await t.gql(`mutation($a: ID!) { completeActivity(id: $a) { pointsMinted } }`, { a: activity }, manager));
    } finally {
      setNow(t, null);
    }
    await waitForKind(residents[3].token, NotificationKind.POINTS_MINTED);
    const minted = (await inbox(residents[3].token)).edges.find((e: any) => e.node.kind === 'POINTS_MINTED').node;
    expect(minted).toMatchObject({ activityId: activity, points: 2 });
    expect((await rowsOf(residents[4].personId, NotificationKind.POINTS_MINTED)).length).toBe(0);

    // Keyset pages of the inbox, newest first, add up to the whole list; unreadOnly filters.
    const all = (await inbox(r.token)).edges.map((e: any) => e.node.id);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const paged: string[] = [];
    for (let after: string | null = null; ; ) {
      const page: any = await inbox(r.token, { first: 2, after });
      paged.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(paged).toEqual(all);
    expect([...all].sort((a, b) => Number(b) - Number(a))).toEqual(all);
    ok(await t.gql(`mutation($id: ID!) { markNotificationRead(id: $id) { id } }`, { id: all[0] }, r.token));
    expect((await inbox(r.token, { unread: true })).edges.map((e: any) => e.node.id)).toEqual(all.slice(1));
  }, 60_000);

  it('a promotion from the waitlist reaches the inbox and WeChat; a resident who turned a kind off hears nothing of it', async () => {
    const manager = w.managerTokens[0];
    const [holder, waiting] = [residents[0], residents[5]];
    const openid = await bind(waiting);
    const activity = await createActivity(t, manager, branchId, { capacity: 1 });
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, holder.token));
    expect(ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, waiting.token)).signUpForActivity.status).toBe(
      'WAITLISTED',
    );
    ok(await t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activity }, holder.token));
    await waitForKind(waiting.token, NotificationKind.WAITLIST_PROMOTED);
    await waitFor('the WeChat message', async () => sentTo(openid, 'tmpl-promoted').length === 1);
    const [message] = sentTo(openid, 'tmpl-promoted');
    expect(message.data.thing1.value).toBe('候补成功，您已获得名额');
    expect(message.page).toMatch(/^pages\/index\/index\?notification=\d+$/);
    expect((await rowsOf(waiting.personId, NotificationKind.WAITLIST_PROMOTED))[0].wechatStatus).toBe('SENT');

    // Turned off: the next spend is neither in the inbox nor on WeChat.
    const settings = ok(
      await t.gql(`mutation { setNotificationPreference(kind: POINTS_SPENT, enabled: false) { kinds { kind enabled wechatTemplateId wechatAccepted } } }`, {}, waiting.token),
    ).setNotificationPreference.kinds;
    expect(settings.find((k: any) => k.kind === 'POINTS_SPENT')).toEqual({ kind: 'POINTS_SPENT', enabled: false, wechatTemplateId: 'tmpl-points', wechatAccepted: true });
    const course = ok(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: courseInput(branchId) }, manager)).createCourse.id;
    ok(await t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: course }, waiting.token));
    const [muted] = await waitFor('the muted row', async () => {
      const rows = await rowsOf(waiting.personId, NotificationKind.POINTS_SPENT);
      return rows.length ? rows : undefined;
    });
    expect(muted).toMatchObject({ muted: true, wechatStatus: 'NONE' });
    expect(await kindsIn(waiting.token)).not.toContain('POINTS_SPENT');
    expect(sentTo(openid, 'tmpl-points')).toEqual([]);
  }, 60_000);

  it("WeChat's refusals: 43101 → inbox only (and the acceptance is forgotten), 40001 → one refresh and a retry, 45009 → back off and send later, once", async () => {
    const r = residents[2];
    const openid = await bind(r);
    const outbox = t.app.get(NotificationOutbox);
    const tell = (points: number) =>
      t.app.get(require('../../src/database/transaction.runner').TransactionRunner).run((m: any) =>
        outbox.emit(m, {
          townshipId,
          to: { persons: [r.personId] },
          key: `test:${randomUUID()}`,
          facts: { kind: NotificationKind.POINTS_MINTED, activityId: randomUUID(), title: '测试活动', points },
        }),
      );
    const statusOf = async (points: number) =>
      (
        await t.db.dataSource.query(
          `SELECT n.wechat_status AS status FROM notification n JOIN notification_event e ON e.id = n.event_id
           WHERE n.person_id = $1 AND e.data->>'points' = $2`,
          [r.personId, String(points)],
        )
      )[0]?.status;

    // 40001: the cached token was invalidated; refreshed once (forced) and the message sent.
    const before = wechat.stableTokenCalls();
    wechat.expireAccessTokens();
    await tell(101);
    await waitFor('sent after a refresh', async () => (await statusOf(101)) === 'SENT');
    expect(wechat.stableTokenCalls().forced - before.forced).toBe(1);
    expect(sentTo(openid).filter((m) => m.data.thing1.value === '积分到账 +101')).toHaveLength(1);

    // 45009: WeChat took nothing; pending again, backed off, then sent exactly once.
    wechat.subscribeReplies.push(wechatError(45009, 'reach max api daily quota limit'));
    await tell(102);
    await waitFor('backed off', async () => (await t.db.dataSource.query(`SELECT 1 FROM notification WHERE person_id = $1 AND wechat_error LIKE '45009%'`, [r.personId])).length > 0);
    await waitFor('sent after the back-off', async () => (await statusOf(102)) === 'SENT', 15_000);
    expect(sentTo(openid).filter((m) => m.data.thing1.value === '积分到账 +102')).toHaveLength(1);

    // 43101: not subscribed; the inbox has it, WeChat is not tried again for that template.
    wechat.unsubscribed.add(openid);
    await tell(103);
    await waitFor('refused', async () => (await statusOf(103)) === 'REFUSED');
    expect((await inbox(r.token)).edges.map((e: any) => e.node.title)).toContain('积分到账 +103');
    const points = ok(await t.gql(`{ notificationSettings { kinds { kind wechatAccepted } } }`, {}, r.token)).notificationSettings.kinds.filter((k: any) =>
      k.kind.startsWith('POINTS_'),
    );
    expect(points.every((k: any) => k.wechatAccepted === false)).toBe(true);
    const sends = wechat.requests.filter((q) => q.path === '/cgi-bin/message/subscribe/send').length;
    await tell(104);
    await waitFor('in the inbox', async () => (await statusOf(104)) === 'NONE');
    expect(wechat.requests.filter((q) => q.path === '/cgi-bin/message/subscribe/send').length).toBe(sends);
    wechat.unsubscribed.delete(openid);

    // Unknown template ids are refused and change nothing.
    const unknown = await t.gql(`mutation { acceptWechatTemplates(templateIds: ["nope"]) { quietHours } }`, {}, r.token);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  }, 60_000);

  it('a crash between the commit and the queueing loses nothing: the sweep delivers it, once; a claim left by a dead worker is never resent', async () => {
    const r = residents[4];
    const openid = await bind(r);
    const outbox = t.app.get(NotificationOutbox);
    // A plain transaction runs no after-commit hooks: the event and its inbox row commit (a
    // named resident's event is expanded in the transaction) and no WeChat job is queued,
    // exactly what a process killed between the two leaves. (Events no job expanded: the
    // faults test's village-wide events.)
    await t.db.dataSource.transaction((m) =>
      outbox.emit(m, {
        townshipId,
        to: { persons: [r.personId] },
        key: `crash:${randomUUID()}`,
        facts: { kind: NotificationKind.POINTS_MINTED, activityId: randomUUID(), title: '断电测试', points: 7 },
      }),
    );
    await waitFor('the sweep to deliver it', async () => (await inbox(r.token)).edges.some((e: any) => e.node.title === '积分到账 +7'), 15_000);
    await waitFor('its WeChat message', async () => sentTo(openid).filter((m) => m.data.thing2.value.includes('断电测试')).length === 1);
    // More sweeps add nothing.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(sentTo(openid).filter((m) => m.data.thing2.value.includes('断电测试'))).toHaveLength(1);
    expect((await inbox(r.token)).edges.filter((e: any) => e.node.title === '积分到账 +7')).toHaveLength(1);

    // A worker died after claiming (SENDING) a message: the sweep gives it up as UNKNOWN, it is not sent.
    const [[{ id }]] = await t.db.dataSource.query(
      `UPDATE notification SET wechat_status = 'SENDING', wechat_claimed_at = now() - interval '10 minutes'
       WHERE id = (SELECT id FROM notification WHERE person_id = $1 ORDER BY id DESC LIMIT 1) RETURNING id::text AS id`,
      [r.personId],
    );
    await waitFor('the stale claim to be given up', async () =>
      (await t.db.dataSource.query(`SELECT wechat_status AS s FROM notification WHERE id = $1`, [id]))[0].s === 'UNKNOWN' ? true : undefined,
    );
  }, 60_000);

  it('the day-before reminder: a delayed job per activity, for those holding a place then; removed when the activity is cancelled', async () => {
    const manager = w.managerTokens[0];
    const start = Date.now() + 24 * HOUR + 4000;
    const activity = await createActivity(t, manager, branchId, {
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 2 * HOUR).toISOString(),
      signupDeadline: new Date(start - HOUR).toISOString(),
    });
    const [stays, leaves] = [residents[1], residents[2]];
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, stays.token));
    ok(await t.gql(`mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`, { a: activity }, leaves.token));
    ok(await t.gql(`mutation($a: ID!) { cancelSignup(activityId: $a) { status } }`, { a: activity }, leaves.token));
    await waitForKind(stays.token, NotificationKind.ACTIVITY_REMINDER);
    const reminder = (await inbox(stays.token)).edges.find((e: any) => e.node.kind === 'ACTIVITY_REMINDER').node;
    expect(reminder).toMatchObject({ activityId: activity, title: '明天有您报名的活动' });
    expect((await rowsOf(leaves.personId, NotificationKind.ACTIVITY_REMINDER)).length).toBe(0);

    // Cancelled before its reminder: the delayed job is gone.
    const later = Date.now() + 3 * 24 * HOUR;
    const cancelled = await createActivity(t, manager, branchId, {
      startsAt: new Date(later).toISOString(),
      endsAt: new Date(later + HOUR).toISOString(),
      signupDeadline: new Date(later - HOUR).toISOString(),
    });
    const { Queue } = require('bullmq');
    const { reminderJobId, ACTIVITY_REMINDERS_QUEUE } = require('../../src/activities/activity-reminder.jobs');
    const { JobQueues } = require('../../src/jobs/job-queues');
    const queue = t.app.get(JobQueues).queue(ACTIVITY_REMINDERS_QUEUE) as InstanceType<typeof Queue>;
    await waitFor('the reminder job', async () => (await queue.getJobState(reminderJobId(cancelled, new Date(later)))) === 'delayed');
    ok(await t.gql(`mutation($i: CancelActivityInput!) { cancelActivity(input: $i) { status } }`, { i: { id: cancelled, reason: '天气原因' } }, manager));
    await waitFor('the reminder job removed', async () => (await queue.getJobState(reminderJobId(cancelled, new Date(later)))) === 'unknown');
  }, 60_000);

  it('settlement finished goes to the township admins', async () => {
    const outbox = t.app.get(NotificationOutbox);
    const { TransactionRunner } = require('../../src/database/transaction.runner');
    await t.app.get(TransactionRunner).run((m: any) =>
      outbox.emit(m, { townshipId, to: { townshipAdmins: true }, key: 'settlement:test', facts: { kind: NotificationKind.SETTLEMENT_FINISHED, month: '2026-10' } }),
    );
    await waitForKind(w.adminToken, NotificationKind.SETTLEMENT_FINISHED);
    expect(await kindsIn(w.managerTokens[0])).toEqual([]);
    expect(ok(await t.gql(`mutation { markAllNotificationsRead }`, {}, w.adminToken)).markAllNotificationsRead).toBe(1);
    expect(await unread(w.adminToken)).toBe(0);
  }, 30_000);

  it('quiet hours hold back WeChat messages that are not urgent (the inbox gets them at once); a promotion goes at once', async () => {
    // A second API on the same database, its own queues, with quiet hours around now.
    const quiet = await startTestApp(
      { WECHAT_API_BASE_URL: wechat.baseUrl, WECHAT_APPID: wechat.appid, WECHAT_SECRET: wechat.secret, ...TEMPLATES, NOTIFY_QUIET_HOURS: quietWindowAroundNow() },
      { database: t.db },
    );
    try {
      const r = residents[3];
      const openid = await bind(r);
      const { TransactionRunner } = require('../../src/database/transaction.runner');
      const tell = (kind: NotificationKind.POINTS_MINTED | NotificationKind.WAITLIST_PROMOTED) =>
        quiet.app.get(TransactionRunner).run((m: any) =>
          quiet.app.get(NotificationOutbox).emit(m, {
            townshipId,
            to: { persons: [r.personId] },
            key: `quiet:${randomUUID()}`,
            facts:
              kind === NotificationKind.POINTS_MINTED
                ? { kind, activityId: randomUUID(), title: '夜间', points: 9 }
                : { kind, activityId: randomUUID(), title: '夜间候补', startsAt: new Date(Date.now() + 10 * HOUR) },
          }),
        );
      await tell(NotificationKind.POINTS_MINTED);
      await tell(NotificationKind.WAITLIST_PROMOTED);
      await waitFor('the urgent one on WeChat', async () => sentTo(openid).some((m) => m.data.thing2.value.includes('夜间候补')));
      const [held] = await rowsOf(r.personId, NotificationKind.POINTS_MINTED).then((rows: any[]) => rows.filter((x) => x.wechatStatus === 'PENDING'));
      expect(held).toBeDefined();
      expect(new Date(held.wechatAfter).getTime()).toBeGreaterThan(Date.now() + 30 * MINUTE);
      expect(sentTo(openid).some((m) => m.data.thing2.value.includes('夜间'))).toBe(true);
      expect(sentTo(openid).filter((m) => m.data.thing1.value === '积分到账 +9')).toEqual([]);
      expect((await inbox(r.token)).edges.map((e: any) => e.node.title)).toContain('积分到账 +9');
    } finally {
      await quiet.close();
    }
  }, 60_000);
});
