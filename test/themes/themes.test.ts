import { APP_ROLE } from '../support/postgres';
import { addMonths, monthOf } from '../../src/common/time/shanghai-month';
import { AppConfig } from '../../src/config/app-config';
import { DomainError } from '../../src/common/errors/domain.error';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { JobQueues } from '../../src/jobs/job-queues';
import { THEME_PUBLISH_SCHEDULER_ID, THEMES_QUEUE } from '../../src/themes/theme.jobs';
import { ThemeService } from '../../src/themes/theme.service';
import { SeededTownship, seedTownship } from '../support/factories';
import { grantAdmin, grantManager, mobileOf } from '../support/roles';
import { waitFor } from '../support/wait-for';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';

const ADD = `mutation($i: AddThemeInput!) { addTheme(input: $i) { id title branchId month suggestedPoints } }`;
const PUBLISHED = `query($b: ID!, $m: String!) { publishedThemes(branchId: $b, month: $m) { month themes { id title branchId } } }`;
const PUBLISH = `mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal branchesPublished } }`;

describe('monthly theme lists', () => {
  let t: TestApp;
  let town: SeededTownship;
  let admin: string;
  const month = monthOf(new Date());
  const next = addMonths(month, 1);

  const publicationRows = (townshipId: string, m: string) =>
    t.db.dataSource.query(
      `SELECT p.branch_id AS "branchId", (SELECT count(*) FROM theme_publication_item i WHERE i.branch_id = p.branch_id AND i.month = p.month)::int AS items
       FROM theme_publication p WHERE p.township_id = $1 AND p.month = $2 ORDER BY 1`,
      [townshipId, `${m}-01`],
    );

  beforeAll(async () => {
    t = await startTestApp();
    town = await seedTownship(t.db.dataSource, { branches: 3, residentsPerBranch: 1 });
    admin = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
  });
  afterAll(() => t?.close());

  it('publishes each branch its list (township themes plus its own) once, and freezes it', async () => {
    const manager = await devLogin(t, await grantManager(t.db.dataSource, town.id, town.branches[0].id));
    const resident = await devLogin(t, await mobileOf(t.db.dataSource, town.branches[0].residents[0].personId));

    const fire = await t.gql(ADD, { i: { townshipId: town.id, month, title: '平安有我 消防安全宣传', description: '入户宣传', suggestedPoints: 2 } }, admin);
    expect(fire.errors).toBeUndefined();
    await t.gql(ADD, { i: { townshipId: town.id, month, title: '文明交通引导', suggestedPoints: 2 } }, admin);
    const own = await t.gql(ADD, { i: { townshipId: town.id, branchId: town.branches[0].id, month, title: '非遗小记者体验', suggestedPoints: 3 } }, manager);
    expect(own.errors).toBeUndefined();
    // A manager cannot set township themes, nor another branch's.
    expect(errorCode(await t.gql(ADD, { i: { townshipId: town.id, month, title: 'x', suggestedPoints: 1 } }, manager))).toBe('FORBIDDEN');
    expect(
      errorCode(await t.gql(ADD, { i: { townshipId: town.id, branchId: town.branches[1].id, month, title: 'x', suggestedPoints: 1 } }, manager)),
    ).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(ADD, { i: { townshipId: town.id, month: '2026-13', title: 'x', suggestedPoints: 1 } }, admin))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(ADD, { i: { townshipId: town.id, month, title: '文明交通引导', suggestedPoints: 1 } }, admin))).toBe('ALREADY_EXISTS');
    expect(errorCode(await t.gql(ADD, { i: { townshipId: town.id, month: addMonths(month, -1), title: 'x', suggestedPoints: 1 } }, admin))).toBe(
      'MONTH_ALREADY_ENDED',
    );
    // Each theme set is audited with who set it; refusals leave no trace.
    const audited = await t.db.dataSource.query(
      `SELECT details->>'title' AS title FROM audit_log WHERE township_id = $1 AND action = 'theme.add' ORDER BY id`,
      [town.id],
    );
    expect(audited.map((a: { title: string }) => a.title)).toEqual(['平安有我 消防安全宣传', '文明交通引导', '非遗小记者体验']);

    // Unpublished: residents see nothing yet, and activities cannot use the themes.
    expect((await t.gql(PUBLISHED, { b: town.branches[0].id, m: month }, resident)).data.publishedThemes).toBeNull();
    const themes = t.app.get(ThemeService);
    const tx = t.app.get(TransactionRunner);
    const available = (branch: number, themeId: string, m = month) =>
      tx.run((mgr) => themes.assertThemeAvailable(mgr, { townshipId: town.id, branchId: town.branches[branch].id, themeId, month: m }));
    await expect(available(0, fire.data.addTheme.id)).rejects.toMatchObject({ code: 'THEME_NOT_PUBLISHED' });

    const STATUS = `query($t: ID!, $m: String!) { themePublicationStatus(townshipId: $t, month: $m) { branchesPublished branches { branchId branchName publishedAt } } }`;
    const before = (await t.gql(STATUS, { t: town.id, m: month }, admin)).data.themePublicationStatus;
    expect(before.branches.map((b: any) => b.branchId).sort()).toEqual(town.branches.map((b) => b.id).sort());
    expect(before.branches.every((b: any) => b.publishedAt === null && b.branchName)).toBe(true);
    const publish = await t.gql(PUBLISH, { t: town.id, m: month }, admin);
    expect(publish.data.publishThemes).toEqual({ branchesTotal: 3, branchesPublished: 0 });
    await waitFor('publication', async () => ((await publicationRows(town.id, month)).length === 3 ? true : undefined));
    // Each branch with the moment its list went out (what the admin's screen shows while the job runs).
    const after = (await t.gql(STATUS, { t: town.id, m: month }, admin)).data.themePublicationStatus;
    expect(after.branchesPublished).toBe(3);
    expect(after.branches.every((b: any) => !Number.isNaN(Date.parse(b.publishedAt)))).toBe(true);

    const list = await t.gql(PUBLISHED, { b: town.branches[0].id, m: month }, resident);
    expect(list.data.publishedThemes.themes.map((x: any) => x.title)).toEqual(['平安有我 消防安全宣传', '文明交通引导', '非遗小记者体验']);
    const otherList = await t.gql(PUBLISHED, { b: town.branches[1].id, m: month }, resident);
    expect(otherList.data.publishedThemes.themes.map((x: any) => x.title)).toEqual(['平安有我 消防安全宣传', '文明交通引导']);

    await expect(available(0, fire.data.addTheme.id)).resolves.toBeUndefined();
    await expect(available(0, own.data.addTheme.id)).resolves.toBeUndefined();
    // Branch 1's list does not have branch 0's own theme; and not for another month.
    await expect(available(1, own.data.addTheme.id)).rejects.toBeInstanceOf(DomainError);
    await expect(available(0, fire.data.addTheme.id, next)).rejects.toMatchObject({ code: 'THEME_NOT_PUBLISHED' });

    // Published lists are frozen.
    expect(errorCode(await t.gql(ADD, { i: { townshipId: town.id, month, title: '新主题', suggestedPoints: 1 } }, admin))).toBe(
      'THEMES_ALREADY_PUBLISHED',
    );
    expect(errorCode(await t.gql(`mutation($id: ID!) { removeTheme(id: $id) }`, { id: own.data.addTheme.id }, manager))).toBe(
      'THEMES_ALREADY_PUBLISHED',
    );
    // Publishing again changes nothing.
    const again = await t.gql(PUBLISH, { t: town.id, m: month }, admin);
    expect(again.data.publishThemes).toEqual({ branchesTotal: 3, branchesPublished: 3 });
    const rows = await publicationRows(town.id, month);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.items).toBe(row.branchId === town.branches[0].id ? 3 : 2);
  });

  it('publishes each branch once when a job throws part-way and is retried', async () => {
    await t.gql(ADD, { i: { townshipId: town.id, month: next, title: '垃圾分类', suggestedPoints: 1 } }, admin);
    // A real failure inside the job: the second publication insert of this test raises,
    // once (a sequence is not rolled back with the failing transaction).
    // Creating a trigger takes the owner role.
    await (await t.db.asOwner()).query(`
      CREATE SEQUENCE fail_once;
      CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('fail_once') = 2 THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_once BEFORE INSERT ON theme_publication FOR EACH ROW EXECUTE FUNCTION fail_once();
      GRANT USAGE ON SEQUENCE fail_once TO ${APP_ROLE};`);
    try {
      await t.gql(PUBLISH, { t: town.id, m: next }, admin);
      const rows = await waitFor('publication after a retry', async () => {
        const r = await publicationRows(town.id, next);
        return r.length === 3 ? r : undefined;
      });
      expect(rows.map((r: any) => r.items)).toEqual([1, 1, 1]);
      const job = (await t.app.get(JobQueues).queue(THEMES_QUEUE).getJobs(['completed'])).find((j) => j.data.month === next);
      expect(job?.attemptsMade).toBe(2); // the failed attempt and the successful retry
      expect(job?.stacktrace?.join('\n')).toContain('injected failure');
      const [{ calls }] = await (await t.db.asOwner()).query(`SELECT last_value::int AS calls FROM fail_once`);
      expect(calls).toBeGreaterThan(3); // the retry went over the branch published before the failure
    } finally {
      await (await t.db.asOwner()).query(`DROP TRIGGER fail_once ON theme_publication; DROP FUNCTION fail_once(); DROP SEQUENCE fail_once;`);
    }
  });

  it('has one monthly schedule however many times the workers start', async () => {
    const prefix = t.app.get(AppConfig).QUEUE_PREFIX;
    const second = await startTestApp({ QUEUE_PREFIX: prefix, THEME_PUBLISH_TIME: '06:30' });
    const third = await startTestApp({ QUEUE_PREFIX: prefix, THEME_PUBLISH_TIME: '06:30' });
    try {
      const schedulers = await t.app.get(JobQueues).queue(THEMES_QUEUE).getJobSchedulers();
      expect(schedulers).toHaveLength(1);
      expect(schedulers[0]).toMatchObject({ key: THEME_PUBLISH_SCHEDULER_ID, pattern: '30 6 1 * *', tz: 'Asia/Shanghai' });
      // One next run queued, at the next 1st-of-the-month 06:30 in Shanghai: this month's
      // when the run starts before 06:30 on the 1st (Shanghai), else next month's.
      const delayed = await t.app.get(JobQueues).queue(THEMES_QUEUE).getDelayed();
      expect(delayed).toHaveLength(1);
      const due = new Date(delayed[0].timestamp + delayed[0].opts.delay!);
      const thisMonths = new Date(`${month}-01T06:30:00+08:00`);
      const expected = thisMonths.getTime() > Date.now() ? thisMonths : new Date(`${next}-01T06:30:00+08:00`);
      expect(due.toISOString()).toBe(expected.toISOString());
    } finally {
      await third.app.close();
      await third.db.drop();
      await second.app.close();
      await second.db.drop();
    }
  });
});
