import { Queue } from 'bullmq';
import { DEEDS_QUEUE, mintDeedJobId } from '../../src/deeds/deed.jobs';
import { DeedService } from '../../src/deeds/deed.service';
import { JobQueues } from '../../src/jobs/job-queues';
import { dbFingerprint } from '../support/db-fingerprint';
import {
  APPOINT_SCORER,
  baseUrlOf,
  deedInput,
  jpegLike,
  photoId,
  REPORT_DEED,
  REQUEST_RECHECK,
  REVIEW_DEED,
  SAVE_DEED_KIND,
  tinyPng,
  uploadPhoto,
} from '../support/deed-fixture';
import { SeededTownship, seedTownship } from '../support/factories';
import { expectLedgerRules } from '../support/ledger-rules';
import { grantAdmin, grantManager, mobileOf } from '../support/roles';
import { devLogin, errorCode, GqlResponse, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Good-deed reports through the API (issue 16): 申报 with a photo → 评议 by the branch's
 * scoring group → 公示 with masked names → 复核, and the mint when the window closes.
 */
describe('good-deed reports', () => {
  let t: TestApp;
  let town: SeededTownship;
  let other: SeededTownship;
  let admin: string;
  let manager: string;
  let otherManager: string;
  /** Tokens of branch 0's residents 0-3, branch 1's resident 0, and the other township's resident. */
  let res: string[];
  let resBranch1: string;
  let resOtherTown: string;
  let kindId: string;
  let queue: Queue;

  const ok = (r: GqlResponse) => {
    expect(r.errors).toBeUndefined();
    return r.data;
  };
  const balance = async (residentId: string) =>
    Number(
      (await t.db.dataSource.query(`SELECT sum(b.balance) AS b FROM account a JOIN account_balance b ON b.account_id = a.id WHERE a.resident_id = $1`, [residentId]))[0]
        .b,
    );
  const goodDeedEntries = async (reportId: string) =>
    t.db.dataSource.query(`SELECT id::text, kind, idempotency_key AS key FROM journal_entry WHERE reference_type = 'good_deed' AND reference_id = $1`, [reportId]);
  const audit = async (reportId: string) =>
    (await t.db.dataSource.query(`SELECT action FROM audit_log WHERE subject = $1 ORDER BY id`, [reportId])).map((r: any) => r.action);
  /** Ends the report's window now (as if its days had passed). */
  const closeWindow = (reportId: string) =>
    t.db.dataSource.query(`UPDATE deed_report SET notice_starts_at = now() - interval '3 days', notice_ends_at = now() - interval '1 second' WHERE id = $1`, [reportId]);
  /** Runs the delayed mint job of a round now and waits for it to finish. */
  const runMintJob = async (reportId: string, round: number) => {
    const job = await queue.getJob(mintDeedJobId(reportId, round));
    expect(job).toBeDefined();
    if ((await job!.getState()) === 'delayed') await job!.promote();
    return waitFor(`mint job of ${reportId}`, async () => {
      const state = await queue.getJobState(job!.id!);
      if (state === 'failed') throw new Error(`mint job failed: ${(await queue.getJob(job!.id!))!.failedReason}`);
      return state === 'completed' ? (await queue.getJob(job!.id!))!.returnvalue : undefined;
    });
  };

  const report = async (token: string, extra: Record<string, unknown> = {}, points = 3) =>
    ok(await t.gql(REPORT_DEED, { input: deedInput(kindId, await photoId(t, token), points, extra) }, token)).reportDeed;
  const review = (token: string, reportId: string, approve: boolean, reason = approve ? '情况属实' : '证据不足') =>
    t.gql(REVIEW_DEED, { input: { reportId, approve, reason } }, token);

  beforeAll(async () => {
    t = await startTestApp();
    queue = t.app.get(JobQueues).queue(DEEDS_QUEUE);
    town = await seedTownship(t.db.dataSource, { branches: 2, residentsPerBranch: 4 });
    other = await seedTownship(t.db.dataSource, { branches: 1, residentsPerBranch: 1 });
    admin = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
    manager = await devLogin(t, await grantManager(t.db.dataSource, town.id, town.branches[0].id));
    otherManager = await devLogin(t, await grantManager(t.db.dataSource, town.id, town.branches[1].id));
    res = [];
    for (const r of town.branches[0].residents) res.push(await devLogin(t, await mobileOf(t.db.dataSource, r.personId)));
    resBranch1 = await devLogin(t, await mobileOf(t.db.dataSource, town.branches[1].residents[0].personId));
    resOtherTown = await devLogin(t, await mobileOf(t.db.dataSource, other.branches[0].residents[0].personId));
    // The scoring group of branch 0: residents 2 and 3.
    for (const i of [2, 3]) ok(await t.gql(APPOINT_SCORER, { branchId: town.branches[0].id, residentId: town.branches[0].residents[i].id }, manager));
  });
  afterAll(() => t?.close());

  it('lets the admin set the table of kinds and the notice window; nobody else', async () => {
    const settings = `query($t: ID!) { deedSettings(townshipId: $t) { noticeDays kinds { id name points active } } }`;
    expect(ok(await t.gql(settings, { t: town.id }, res[0])).deedSettings).toEqual({ noticeDays: 3, kinds: [] });
    kindId = ok(await t.gql(SAVE_DEED_KIND, { input: { townshipId: town.id, name: '扶老助残', points: 5 } }, admin)).saveDeedKind.id;
    const retired = ok(await t.gql(SAVE_DEED_KIND, { input: { townshipId: town.id, name: '拾金不昧', points: 3 } }, admin)).saveDeedKind.id;
    ok(await t.gql(SAVE_DEED_KIND, { input: { townshipId: town.id, id: retired, name: '拾金不昧', points: 3, active: false } }, admin));
    expect(errorCode(await t.gql(SAVE_DEED_KIND, { input: { townshipId: town.id, name: '扶老助残', points: 2 } }, admin))).toBe('ALREADY_EXISTS');
    for (const token of [manager, res[0]]) {
      expect(errorCode(await t.gql(SAVE_DEED_KIND, { input: { townshipId: town.id, name: '见义勇为', points: 10 } }, token))).toBe('FORBIDDEN');
    }
    const days = `mutation($t: ID!, $d: Int!) { setDeedNoticeDays(townshipId: $t, days: $d) { noticeDays } }`;
    expect(errorCode(await t.gql(days, { t: town.id, d: 0 }, admin))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(days, { t: town.id, d: 5 }, manager))).toBe('FORBIDDEN');
    expect(ok(await t.gql(days, { t: town.id, d: 5 }, admin)).setDeedNoticeDays.noticeDays).toBe(5);
    expect(ok(await t.gql(days, { t: town.id, d: 3 }, admin)).setDeedNoticeDays.noticeDays).toBe(3);
    const after = ok(await t.gql(settings, { t: town.id }, res[0])).deedSettings;
    expect(after.kinds).toEqual([
      { id: kindId, name: '扶老助残', points: 5, active: true },
      { id: retired, name: '拾金不昧', points: 3, active: false },
    ]);
    expect(errorCode(await t.gql(settings, { t: town.id }, resOtherTown))).toBe('FORBIDDEN');
    // Reporting a retired kind is refused.
    const refused = await t.gql(REPORT_DEED, { input: deedInput(retired, await photoId(t, res[0]), 1) }, res[0]);
    expect(errorCode(refused)).toBe('DEED_KIND_INACTIVE');
    const actions = (await t.db.dataSource.query(`SELECT action FROM audit_log WHERE township_id = $1 AND action LIKE 'deed.%' ORDER BY id`, [town.id])).map(
      (r: any) => r.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['deed.kind.add', 'deed.kind.update', 'deed.notice-days', 'deed.scorer.appoint']));
  });

  it('takes photos of at most 5 MB, JPEG, PNG or WebP by their bytes, with coded refusals', async () => {
    const base = baseUrlOf(t);
    const png = await uploadPhoto(base, res[0], tinyPng(), 'application/octet-stream');
    expect(png).toMatchObject({ status: 201, body: { contentType: 'image/png', size: tinyPng().length } });
    // Audited like every other step: who, what type, how big.
    const logged = await t.db.dataSource.query(
      `SELECT township_id::text AS "townshipId", actor_id::text AS "actorId", details FROM audit_log WHERE action = 'deed.photo' AND subject = $1`,
      [png.body.photoId],
    );
    expect(logged).toEqual([{ townshipId: town.id, actorId: town.branches[0].residents[0].personId, details: { size: tinyPng().length, contentType: 'image/png' } }]);
    // Exactly 5 MB passes; one byte more does not.
    expect((await uploadPhoto(base, res[0], jpegLike(5 * 1024 * 1024), 'image/jpeg')).body.contentType).toBe('image/jpeg');
    const before = await dbFingerprint(t.db.dataSource);
    const tooLarge = await uploadPhoto(base, res[0], jpegLike(5 * 1024 * 1024 + 1), 'image/jpeg');
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toEqual({ code: 'PHOTO_TOO_LARGE', message: expect.stringMatching(/5MB/) });
    // An SVG sent as image/png is refused by its bytes; so is text.
    const svg = await uploadPhoto(base, res[0], Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/png');
    expect(svg).toEqual({ status: 415, body: { code: 'PHOTO_TYPE_NOT_ALLOWED', message: expect.stringMatching(/JPEG/) } });
    expect((await uploadPhoto(base, res[0], Buffer.from('{"a":1}'), 'application/json')).body.code).toBe('PHOTO_TYPE_NOT_ALLOWED');
    expect((await uploadPhoto(base, res[0], Buffer.alloc(0), 'image/png')).body.code).toBe('PHOTO_TYPE_NOT_ALLOWED');
    expect(await uploadPhoto(base, undefined, tinyPng())).toEqual({ status: 401, body: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    // Image bodies are for the upload route only: GraphQL still refuses them as before.
    const graphql = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${res[0]}` }, body: '{"query":"{ me { name } }"}' });
    expect(graphql.status).toBeGreaterThanOrEqual(400);
    expect(graphql.status).toBeLessThan(500);
  });

  it('serves a photo back only to those who may see its report', async () => {
    const r = await report(res[0]);
    const get = async (token: string | undefined, url = r.photoUrl) => {
      const response = await fetch(`${baseUrlOf(t)}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
    };
    for (const token of [res[0], res[2], manager, admin]) {
      const answer = await get(token);
      expect({ status: answer.status, type: answer.type }).toEqual({ status: 200, type: 'image/png' });
      expect(answer.bytes.equals(tinyPng())).toBe(true);
    }
    for (const token of [res[1], resBranch1, otherManager, resOtherTown]) expect((await get(token)).status).toBe(404);
    expect((await get(undefined)).status).toBe(401);
    expect((await get(res[0], '/deeds/photos/not-a-uuid')).status).toBe(404);
  });

  it('refuses reports beyond the table, in the future, or with a photo that is not the reporter’s own and unused; changes nothing', async () => {
    const mine = await photoId(t, res[0]);
    const theirs = await photoId(t, res[1]);
    const otherManagersPhoto = await photoId(t, otherManager);
    const otherTownPhoto = await photoId(t, resOtherTown);
    const before = await dbFingerprint(t.db.dataSource);
    const refusal = async (token: string, input: object) => errorCode(await t.gql(REPORT_DEED, { input }, token));
    expect(await refusal(res[0], deedInput(kindId, mine, 6))).toBe('DEED_POINTS_OVER_LIMIT');
    expect(await refusal(res[0], deedInput(kindId, mine, 2, { occurredAt: new Date(Date.now() + 3600_000).toISOString() }))).toBe('BAD_USER_INPUT');
    expect(await refusal(res[0], deedInput(kindId, mine, 2, { occurredAt: new Date(Date.now() - 100 * 86_400_000).toISOString() }))).toBe('BAD_USER_INPUT');
    expect(await refusal(res[0], deedInput(kindId, theirs, 2))).toBe('PHOTO_NOT_AVAILABLE');
    // A resident reports only for themselves; a manager only for their own branch; nobody across townships.
    expect(await refusal(res[0], deedInput(kindId, mine, 2, { residentId: town.branches[0].residents[1].id }))).toBe('FORBIDDEN');
    expect(await refusal(otherManager, deedInput(kindId, otherManagersPhoto, 2, { residentId: town.branches[0].residents[1].id }))).toBe('FORBIDDEN');
    expect(await refusal(resOtherTown, deedInput(kindId, otherTownPhoto, 2))).toBe('NOT_FOUND');
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
    const used = await report(res[0]);
    const [{ photo }] = await t.db.dataSource.query(`SELECT photo_id AS photo FROM deed_report WHERE id = $1`, [used.id]);
    expect(await refusal(res[0], deedInput(kindId, photo, 2))).toBe('PHOTO_NOT_AVAILABLE');
  });

  it('one photo serves one report, however many race for it', async () => {
    const photo = await photoId(t, res[0]);
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.gql(REPORT_DEED, { input: deedInput(kindId, photo, 1) }, res[0])));
    expect(answers.filter((a) => !a.errors)).toHaveLength(1);
    expect(answers.filter((a) => a.errors).map(errorCode)).toEqual(Array(5).fill('PHOTO_NOT_AVAILABLE'));
  });

  it('a manager reports for a resident of the branch; the resident sees it among their reports', async () => {
    const resident = town.branches[0].residents[1];
    const r = ok(await t.gql(REPORT_DEED, { input: deedInput(kindId, await photoId(t, manager), 4, { residentId: resident.id }) }, manager)).reportDeed;
    expect(r).toMatchObject({ status: 'PENDING', residentId: resident.id, points: 4, residentName: '居民0-1' });
    const mine = ok(await t.gql(`{ myDeedReports(first: 50) { edges { node { id status reportedByName } } } }`, {}, res[1])).myDeedReports;
    expect(mine.edges.map((e: any) => e.node.id)).toContain(r.id);
    expect(await audit(r.id)).toEqual(['deed.report']);
  });

  it('the scoring group reviews, never its own report nor one about itself; others may not review', async () => {
    const own = await report(res[2]); // a scorer's own deed
    expect(errorCode(await review(res[2], own.id, true))).toBe('DEED_OWN_REPORT');
    const reportedByScorer = ok(
      await t.gql(REPORT_DEED, { input: deedInput(kindId, await photoId(t, manager), 2, { residentId: town.branches[0].residents[2].id }) }, manager),
    ).reportDeed;
    expect(errorCode(await review(res[2], reportedByScorer.id, true))).toBe('DEED_OWN_REPORT');
    const r = await report(res[0]);
    for (const token of [res[0], manager, admin]) expect(errorCode(await review(token, r.id, true))).toBe('FORBIDDEN');
    for (const token of [res[1], resBranch1, otherManager, resOtherTown]) expect(['FORBIDDEN', 'NOT_FOUND']).toContain(errorCode(await review(token, r.id, true)));
    // The other member reviews the scorer's own report.
    const rejected = ok(await review(res[3], own.id, false, '照片与描述不符')).reviewDeedReport;
    expect(rejected).toMatchObject({ status: 'REJECTED', decisionReason: '照片与描述不符' });
    expect(errorCode(await review(res[3], own.id, true))).toBe('DEED_NOT_PENDING');
    expect(await audit(own.id)).toEqual(['deed.report', 'deed.reject']);
    // The group sees the branch's pending reports.
    const pending = ok(
      await t.gql(`query($b: ID!) { branchDeedReports(branchId: $b, statuses: [PENDING], first: 100) { edges { node { id status } } } }`, { b: town.branches[0].id }, res[3]),
    ).branchDeedReports.edges.map((e: any) => e.node);
    expect(pending.map((n: any) => n.id)).toContain(r.id);
    expect(new Set(pending.map((n: any) => n.status))).toEqual(new Set(['PENDING']));
    expect(errorCode(await t.gql(`query($b: ID!) { branchDeedReports(branchId: $b) { edges { node { id } } } }`, { b: town.branches[0].id }, res[0]))).toBe('FORBIDDEN');
  });

  it('approval posts it on the notice with the name masked for the branch; a recheck stops the mint; a re-approval mints once when the new window closes', async () => {
    const resident = town.branches[0].residents[0];
    const pointsBefore = await balance(resident.id);
    const r = await report(res[0], {}, 3);
    const approved = ok(await review(res[2], r.id, true)).reviewDeedReport;
    expect(approved).toMatchObject({ status: 'ON_NOTICE', round: 1, decisionReason: '情况属实' });
    const days = (new Date(approved.noticeEndsAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.99);
    expect(days).toBeLessThan(3.01);
    // The delayed job waits for the window's end.
    const job = await queue.getJob(mintDeedJobId(r.id, 1));
    expect(await job!.getState()).toBe('delayed');

    const notice = `query($b: ID!) { deedNotice(branchId: $b) { id residentName kindName title points status noticeEndsAt } }`;
    const seen = ok(await t.gql(notice, { b: town.branches[0].id }, res[1])).deedNotice.find((n: any) => n.id === r.id);
    expect(seen).toMatchObject({ residentName: '居***0', kindName: '扶老助残', points: 3, status: 'ON_NOTICE' });
    expect(JSON.stringify(ok(await t.gql(notice, { b: town.branches[0].id }, res[1])))).not.toContain('居民0-0');
    expect(errorCode(await t.gql(notice, { b: town.branches[0].id }, resBranch1))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(notice, { b: town.branches[0].id }, resOtherTown))).toBe('FORBIDDEN');

    // Only residents of the branch may ask for a recheck.
    for (const token of [resBranch1, manager, admin]) expect(errorCode(await t.gql(REQUEST_RECHECK, { input: { reportId: r.id, reason: '不公平' } }, token))).toBe('FORBIDDEN');
    const recheck = ok(await t.gql(REQUEST_RECHECK, { input: { reportId: r.id, reason: '当天我也在场，没有看到扫雪' } }, res[1])).requestDeedRecheck;
    expect(recheck).toMatchObject({ id: r.id, status: 'RECHECK', residentName: '居***0' });
    expect(errorCode(await t.gql(REQUEST_RECHECK, { input: { reportId: r.id, reason: '再来一次' } }, res[3]))).toBe('DEED_NOT_ON_NOTICE');

    // The window closes while the recheck is open: the job runs and mints nothing.
    await closeWindow(r.id);
    expect(await runMintJob(r.id, 1)).toMatchObject({ minted: false });
    expect(await goodDeedEntries(r.id)).toEqual([]);
    expect(await balance(resident.id)).toBe(pointsBefore);

    // Back with the group, who approve again: a new round and a new window.
    const again = ok(await review(res[3], r.id, true, '复核属实')).reviewDeedReport;
    expect(again).toMatchObject({ status: 'ON_NOTICE', round: 2, recheckReason: '当天我也在场，没有看到扫雪' });
    expect(new Date(again.noticeEndsAt).getTime()).toBeGreaterThan(Date.now() + 2.9 * 86_400_000);
    const [{ outcome }] = await t.db.dataSource.query(`SELECT outcome FROM deed_recheck WHERE report_id = $1`, [r.id]);
    expect(outcome).toBe('APPROVED');

    await closeWindow(r.id);
    // Too late for a recheck now.
    expect(errorCode(await t.gql(REQUEST_RECHECK, { input: { reportId: r.id, reason: '晚了' } }, res[1]))).toBe('DEED_NOT_ON_NOTICE');
    const minted = await runMintJob(r.id, 2);
    expect(minted).toMatchObject({ minted: true });
    const entries = await goodDeedEntries(r.id);
    expect(entries).toEqual([{ id: minted.entryId, kind: 'MINT', key: `good_deed:${r.id}` }]);
    expect(await balance(resident.id)).toBe(pointsBefore + 3);
    // The issuance account of the branch paid it.
    const [{ amount }] = await t.db.dataSource.query(`SELECT amount::int FROM posting WHERE entry_id = $1 AND account_id = $2`, [minted.entryId, town.branches[0].issuanceAccountId]);
    expect(amount).toBe(-3);

    // Running it again (a retry, the sweep, a second worker) changes nothing.
    expect(await t.app.get(DeedService).mint({ reportId: r.id, round: 2 })).toEqual({ minted: false, reason: 'already minted', entryId: minted.entryId });
    expect(await t.app.get(DeedService).mint({ reportId: r.id, round: 1 })).toMatchObject({ minted: false });
    expect(await goodDeedEntries(r.id)).toHaveLength(1);
    const view = ok(await t.gql(`query($id: ID!) { deedReport(id: $id) { status entryId } }`, { id: r.id }, res[0])).deedReport;
    expect(view).toEqual({ status: 'MINTED', entryId: minted.entryId });
    expect(await audit(r.id)).toEqual(['deed.report', 'deed.approve', 'deed.recheck', 'deed.approve', 'deed.mint']);
    // It shows in the resident's passbook history as a mint.
    const history = ok(await t.gql(`{ me { history(first: 5) { edges { node { amount memo } } } } }`, {}, res[0])).me.history.edges.map((e: any) => e.node);
    expect(history).toContainEqual({ amount: 3, memo: '好人好事：帮独居老人清扫积雪' });
    await expectLedgerRules(t.db, town.id);
  });

  it('a recheck is not for the report’s own side: neither its resident nor its reporter may ask (DEED_OWN_RECHECK); changes nothing', async () => {
    const notice = town.branches[0];
    // Resident 1 is also a manager of the branch (a village cadre living there), and reports a deed of resident 0.
    await t.db.dataSource.query(`INSERT INTO role_assignment (person_id, role, township_id, branch_id) VALUES ($1, 'BRANCH_MANAGER', $2, $3)`, [
      notice.residents[1].personId,
      town.id,
      notice.id,
    ]);
    try {
      const cadre = await devLogin(t, await mobileOf(t.db.dataSource, notice.residents[1].personId));
      const forOther = ok(await t.gql(REPORT_DEED, { input: deedInput(kindId, await photoId(t, cadre), 2, { residentId: notice.residents[0].id }) }, cadre)).reportDeed;
      const own = await report(res[0], {}, 1);
      for (const r of [forOther, own]) ok(await review(res[2], r.id, true));
      const before = await dbFingerprint(t.db.dataSource);
      const ask = (token: string, reportId: string) => t.gql(REQUEST_RECHECK, { input: { reportId, reason: '我觉得分数不对' } }, token);
      expect(errorCode(await ask(cadre, forOther.id))).toBe('DEED_OWN_RECHECK');
      expect(errorCode(await ask(res[0], forOther.id))).toBe('DEED_OWN_RECHECK');
      const refused = await ask(res[0], own.id);
      expect(errorCode(refused)).toBe('DEED_OWN_RECHECK');
      expect(refused.errors![0].message).toMatch(/不能对自己/);
      expect(await dbFingerprint(t.db.dataSource)).toEqual(before);
      // The notice tells each viewer which are theirs (the app shows them no 申请复核 button).
      const mine = async (token: string) =>
        Object.fromEntries(
          ok(await t.gql(`query($b: ID!) { deedNotice(branchId: $b) { id mine } }`, { b: notice.id }, token))
            .deedNotice.filter((n: any) => n.id === forOther.id || n.id === own.id)
            .map((n: any) => [n.id === own.id ? 'own' : 'forOther', n.mine]),
        );
      expect(await mine(res[0])).toEqual({ own: true, forOther: true });
      expect(await mine(cadre)).toEqual({ own: false, forOther: true });
      expect(await mine(res[3])).toEqual({ own: false, forOther: false });
      // Anyone else of the branch still may.
      expect(ok(await ask(res[3], forOther.id)).requestDeedRecheck.status).toBe('RECHECK');
      expect(ok(await ask(cadre, own.id)).requestDeedRecheck.status).toBe('RECHECK');
    } finally {
      await t.db.dataSource.query(`DELETE FROM role_assignment WHERE person_id = $1 AND role = 'BRANCH_MANAGER'`, [notice.residents[1].personId]);
    }
  });

  it('two members deciding at once: one decision, one window', async () => {
    const r = await report(res[0], {}, 1);
    const answers = await Promise.all([review(res[2], r.id, true), review(res[3], r.id, false)]);
    expect(answers.filter((a) => !a.errors)).toHaveLength(1);
    expect(answers.map(errorCode).filter(Boolean)).toEqual(['DEED_NOT_PENDING']);
    const [{ round }] = await t.db.dataSource.query(`SELECT round FROM deed_report WHERE id = $1`, [r.id]);
    expect(round).toBeLessThanOrEqual(1);
  });

  it('a rejection after a recheck ends it: nothing is minted', async () => {
    const r = await report(res[1], {}, 2);
    ok(await review(res[2], r.id, true));
    ok(await t.gql(REQUEST_RECHECK, { input: { reportId: r.id, reason: '照片是网上的' } }, res[0]));
    const rejected = ok(await review(res[3], r.id, false, '复核不属实')).reviewDeedReport;
    expect(rejected.status).toBe('REJECTED');
    expect(await t.app.get(DeedService).mint({ reportId: r.id, round: 1 })).toMatchObject({ minted: false });
    expect(await goodDeedEntries(r.id)).toEqual([]);
  });

  it('the sweep mints a closed window whose job was lost', async () => {
    const resident = town.branches[0].residents[1];
    const before = await balance(resident.id);
    const r = await report(res[1], {}, 5);
    ok(await review(res[2], r.id, true));
    await (await queue.getJob(mintDeedJobId(r.id, 1)))!.remove();
    await closeWindow(r.id);
    const swept = await t.app.get(DeedService).sweep();
    expect(swept.queued).toBeGreaterThanOrEqual(1);
    await runMintJob(r.id, 1);
    expect(await goodDeedEntries(r.id)).toHaveLength(1);
    expect(await balance(resident.id)).toBe(before + 5);
  });

  it('lists are paginated by cursor', async () => {
    const page = async (after?: string) =>
      ok(await t.gql(`query($a: String) { myDeedReports(first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { a: after }, res[0]))
        .myDeedReports;
    const ids: string[] = [];
    let p = await page();
    ids.push(...p.edges.map((e: any) => e.node.id));
    while (p.pageInfo.hasNextPage) {
      p = await page(p.pageInfo.endCursor);
      ids.push(...p.edges.map((e: any) => e.node.id));
    }
    const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM deed_report r WHERE r.resident_id = $1 OR r.reported_by = (SELECT person_id FROM resident WHERE id = $1)`, [
      town.branches[0].residents[0].id,
    ]);
    expect(new Set(ids).size).toBe(n);
    expect(ids.length).toBe(n);
  });
});
