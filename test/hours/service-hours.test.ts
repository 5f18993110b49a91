import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { courseInput } from '../api/authorization-matrix';
import { createActivity, grantPoints, MINUTE, ok, seedWorld, setNow, World } from '../support/activity-fixture';
import { errorCode, startTestApp, TestApp } from '../support/test-app';

const run = promisify(execFile);
const ARTIFACTS = resolve(__dirname, '../../test-artifacts/certificate');

const SIGN_UP = `mutation($a: ID!) { signUpForActivity(activityId: $a) { status } }`;
const CODE = `query($a: ID!) { activityCheckinCode(activityId: $a) { code } }`;
const CHECK_IN = `mutation($i: CheckInInput!) { checkIn(input: $i) { attendance checkedInAt } }`;
const CHECK_OUT = `mutation($i: CheckInInput!) { checkOut(input: $i) { residentId attendance checkedOutAt } }`;
const RECORD_OUT = `mutation($i: RecordCheckOutInput!) { recordCheckOut(input: $i) { residentId checkedOutAt } }`;
const MARK = `mutation($i: MarkAttendanceInput!) { markAttendance(input: $i) { residentId attendance } }`;
const COMPLETE = `mutation($a: ID!) { completeActivity(id: $a) { newlyRewarded attendeesRewarded pointsMinted belowMinimum minMinutes } }`;
const HOURS = `{ myServiceHours { totalMinutes totalHours activityCount } myServiceRecords(first: 10) { edges { node { activityId title minutesServed hours pointsEarned } } } me { balance } }`;
const CERT = `number residentName townshipName branchName totalMinutes totalHours verifyUrl lines { title date minutes hours }`;

describe('service hours and the 志愿服务记录证明', () => {
  let t: TestApp;
  let w: World;
  let manager: string;
  let activityId: string;
  let startsAt: Date;
  const residents = () => w.township.branches[0].residents;
  const at = (minutes: number) => new Date(startsAt.getTime() + minutes * MINUTE);

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 1, residentsPerBranch: 5 });
    manager = w.managerTokens[0];
    await t.db.dataSource.query(`UPDATE person SET name = '欧阳秀娜' WHERE id = $1`, [residents()[0].personId]);
    activityId = await createActivity(t, manager, w.township.branches[0].id, { title: '垃圾分类宣传', rewardPoints: 3 });
    for (let r = 0; r < 4; r++) ok(await t.gql(SIGN_UP, { a: activityId }, w.residentTokens[0][r]));
    // It runs now, for two hours (the database's clock stamps check-ins and check-outs).
    startsAt = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE);
    await t.db.dataSource.query(`UPDATE activity SET starts_at = $2, ends_at = $3, signup_deadline = $2 WHERE id = $1`, [activityId, startsAt, at(120)]);
  });
  afterAll(() => t?.close());
  afterEach(() => setNow(t, null));

  it('checks in and out with the code, or the manager records it; hours are fixed at completion, points need the minimum share', async () => {
    const code = ok(await t.gql(CODE, { a: activityId }, manager)).activityCheckinCode.code;
    const [r0, r1, r2, r3] = w.residentTokens[0];
    const ids = residents().map((r) => r.id);
    // Checking out before checking in, or with a wrong code, changes nothing.
    expect(errorCode(await t.gql(CHECK_OUT, { i: { activityId, code } }, r0))).toBe('NOT_CHECKED_IN');
    ok(await t.gql(CHECK_IN, { i: { activityId, code } }, r0));
    const wrong = code === '000000' ? '111111' : '000000';
    expect(errorCode(await t.gql(CHECK_OUT, { i: { activityId, code: wrong } }, r0))).toBe('CHECKIN_CODE_INVALID');
    const out = ok(await t.gql(CHECK_OUT, { i: { activityId, code } }, r0)).checkOut;
    expect(out).toMatchObject({ residentId: ids[0], attendance: 'PRESENT', checkedOutAt: expect.any(String) });
    // Again: the first check-out stands.
    expect(ok(await t.gql(CHECK_OUT, { i: { activityId, code } }, r0)).checkOut.checkedOutAt).toBe(out.checkedOutAt);
    // r1 checks in and never checks out; r2 is marked by the manager, who records r2 leaving; r3 never comes.
    ok(await t.gql(CHECK_IN, { i: { activityId, code } }, r1));
    ok(await t.gql(MARK, { i: { activityId, residentIds: [ids[2]], attendance: 'PRESENT' } }, manager));
    expect(errorCode(await t.gql(RECORD_OUT, { i: { activityId, residentIds: [ids[2], ids[3]] } }, manager))).toBe('NOT_CHECKED_IN');
    expect(ok(await t.gql(RECORD_OUT, { i: { activityId, residentIds: [ids[2]] } }, manager)).recordCheckOut).toEqual([
      { residentId: ids[2], checkedOutAt: expect.any(String) },
    ]);
    expect(errorCode(await t.gql(RECORD_OUT, { i: { activityId, residentIds: [ids[2]] } }, r3))).toBe('FORBIDDEN');
    // The times as they happened (the run above took seconds, not the activity's two hours).
    const times = async (resident: string, checkIn: number | null, checkOut: number | null) =>
      t.db.dataSource.query(`UPDATE activity_signup SET checked_in_at = coalesce($3, checked_in_at), checked_out_at = $4 WHERE activity_id = $1 AND resident_id = $2`, [
        activityId,
        resident,
        checkIn === null ? null : at(checkIn),
        checkOut === null ? null : at(checkOut),
      ]);
    await times(ids[0], 10, 70); // 60 minutes
    await times(ids[1], 30, null); // from 30 to the end: 90 minutes
    await times(ids[2], null, 40); // marked: from the start, left at 40: 40 minutes

    // The township counts half the activity's length (60 of 120 minutes) as attended for points.
    const POLICY = `mutation($i: UpdateTownshipPolicyInput!) { updateTownshipPolicy(input: $i) { minAttendancePercent } }`;
    expect(errorCode(await t.gql(POLICY, { i: { townshipId: w.township.id, minAttendancePercent: 50 } }, manager))).toBe('FORBIDDEN');
    expect(ok(await t.gql(POLICY, { i: { townshipId: w.township.id, minAttendancePercent: 50 } }, w.adminToken)).updateTownshipPolicy.minAttendancePercent).toBe(50);
    const done = ok(await t.gql(COMPLETE, { a: activityId }, manager)).completeActivity;
    expect(done).toEqual({ newlyRewarded: 2, attendeesRewarded: 2, pointsMinted: 6, belowMinimum: 1, minMinutes: 60 });
    expect(errorCode(await t.gql(CHECK_OUT, { i: { activityId, code } }, r1))).toBe('ACTIVITY_COMPLETED');

    const signups = ok(await t.gql(`query($a: ID!) { activitySignups(activityId: $a, first: 10) { edges { node { residentId attendance minutesServed rewardEntryId } } } }`, { a: activityId }, manager))
      .activitySignups.edges.map((e: any) => e.node);
    const byResident = new Map(signups.map((s: any) => [s.residentId, s]));
    expect(byResident.get(ids[0])).toMatchObject({ attendance: 'PRESENT', minutesServed: 60, rewardEntryId: expect.any(String) });
    expect(byResident.get(ids[1])).toMatchObject({ attendance: 'PRESENT', minutesServed: 90, rewardEntryId: expect.any(String) });
    expect(byResident.get(ids[2])).toMatchObject({ attendance: 'PRESENT', minutesServed: 40, rewardEntryId: null });
    expect(byResident.get(ids[3])).toMatchObject({ attendance: 'ABSENT', minutesServed: null, rewardEntryId: null });

    const hours = ok(await t.gql(HOURS, {}, r2));
    expect(hours.myServiceHours).toEqual({ totalMinutes: 40, totalHours: 0.7, activityCount: 1 });
    expect(hours.myServiceRecords.edges.map((e: any) => e.node)).toEqual([
      { activityId, title: '垃圾分类宣传', minutesServed: 40, hours: 0.7, pointsEarned: 0 },
    ]);
    expect(ok(await t.gql(HOURS, {}, r3)).myServiceHours).toEqual({ totalMinutes: 0, totalHours: 0, activityCount: 0 });
  });

  it('keeps hours apart from points: spending every point leaves the hours as they were', async () => {
    const r0 = w.residentTokens[0][0];
    const before = ok(await t.gql(HOURS, {}, r0));
    expect(before.myServiceHours).toEqual({ totalMinutes: 60, totalHours: 1, activityCount: 1 });
    expect(before.me.balance).toBe(3);
    const course = ok(await t.gql(`mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }`, { i: { ...courseInput(w.township.branches[0].id), pricePoints: 3 } }, manager))
      .createCourse.id;
    ok(await t.gql(`mutation($c: ID!) { enrolInCourse(courseId: $c) { status } }`, { c: course }, r0));
    const after = ok(await t.gql(HOURS, {}, r0));
    expect(after.me.balance).toBe(0);
    expect(after.myServiceHours).toEqual(before.myServiceHours);
    expect(after.myServiceRecords).toEqual(before.myServiceRecords);
  });

  it('issues the certificate free as a PDF with the Chinese font embedded, and anyone can verify it by its number', async () => {
    const r0 = w.residentTokens[0][0];
    await grantPoints(t, w.township.id, [residents()[0].accountId], 1);
    const balance = ok(await t.gql(`{ me { balance } }`, {}, r0)).me.balance;
    const issued = ok(await t.gql(`mutation { requestServiceCertificate { ${CERT} pdfBase64 } }`, {}, r0)).requestServiceCertificate;
    const date = new Date(startsAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    expect(issued).toMatchObject({
      number: expect.stringMatching(/^ZYFW-\d{8}-[2-9A-HJKMNP-Z]{8}$/),
      residentName: '欧阳秀娜',
      townshipName: expect.stringMatching(/^测试镇/),
      totalMinutes: 60,
      totalHours: 1,
      lines: [{ title: '垃圾分类宣传', date, minutes: 60, hours: 1 }],
    });
    expect(issued.verifyUrl).toBe(`${t.url.replace(/\/graphql$/, '')}/public/certificates/${issued.number}`);
    // Free: no point moved.
    expect(ok(await t.gql(`{ me { balance } }`, {}, r0)).me.balance).toBe(balance);

    const dir = mkdtempSync(join(tmpdir(), 'cb-certificate-'));
    try {
      const pdf = join(dir, 'certificate.pdf');
      writeFileSync(pdf, Buffer.from(issued.pdfBase64, 'base64'));
      // The font travels with the PDF (embedded subset), so it reads the same anywhere.
      const fonts = (await run('pdffonts', [pdf])).stdout;
      expect(fonts).toMatch(/WenQuanYiMicroHei\s+CID TrueType\s+Identity-H\s+yes\s+yes/);
      expect((await run('pdfinfo', [pdf])).stdout).toMatch(/^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)/m);
      const text = (await run('pdftotext', ['-layout', pdf, '-'])).stdout;
      const flat = text.replace(/\s+/g, '');
      for (const expected of ['志愿服务记录证明', '欧阳秀娜', issued.townshipName, issued.branchName, '垃圾分类宣传', date, '1.0', issued.number, '累计服务时长1小时', '出具单位']) {
        expect({ expected, found: flat.includes(expected.replace(/\s+/g, '')) }).toEqual({ expected, found: true });
      }
      expect(flat).toContain(issued.verifyUrl);
      // Rendered as a person sees it (test-artifacts/certificate/certificate.png).
      await run('pdftoppm', ['-png', '-r', '80', '-singlefile', pdf, join(dir, 'page')]);
      mkdirSync(ARTIFACTS, { recursive: true });
      copyFileSync(join(dir, 'page.png'), join(ARTIFACTS, 'certificate.png'));
      copyFileSync(pdf, join(ARTIFACTS, 'certificate.pdf'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // The public page, without logging in: the same facts, the name masked.
    const page = await fetch(issued.verifyUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    for (const expected of ['✓ 有效', '欧**娜', '垃圾分类宣传', date, issued.number, '1 小时', issued.branchName]) expect(html).toContain(expected);
    expect(html).not.toContain('欧阳秀娜');
    const json: any = await (await fetch(`${issued.verifyUrl}/json`)).json();
    expect(json).toMatchObject({ number: issued.number, valid: true, volunteer: '欧**娜', totalHours: 1, activities: [{ date, title: '垃圾分类宣传', hours: 1 }] });
    expect(JSON.stringify(json)).not.toContain(residents()[0].id);
    const unknown = await fetch(issued.verifyUrl.replace(/.{8}$/, 'ZZZZZZZZ'));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).code).toBe('CERTIFICATE_NOT_FOUND');
    expect((await fetch(issued.verifyUrl.replace(/\/[^/]+$/, '/not-a-number'))).status).toBe(404);

    // Listed for its resident; readable in full by them and their branch's manager, not by another resident.
    const mine = ok(await t.gql(`{ myServiceCertificates(first: 5) { edges { node { number } } } }`, {}, r0)).myServiceCertificates;
    expect(mine.edges.map((e: any) => e.node.number)).toEqual([issued.number]);
    const READ = `query($n: String!) { serviceCertificate(number: $n) { residentName totalMinutes } }`;
    expect(ok(await t.gql(READ, { n: issued.number }, manager)).serviceCertificate).toEqual({ residentName: '欧阳秀娜', totalMinutes: 60 });
    expect(errorCode(await t.gql(READ, { n: issued.number }, w.residentTokens[0][1]))).toBe('FORBIDDEN');
    // Nothing served yet: no certificate.
    expect(errorCode(await t.gql(`mutation { requestServiceCertificate { number } }`, {}, w.residentTokens[0][4]))).toBe('NO_SERVICE_HOURS');
    // The certificate as issued cannot be changed, even when asked directly.
    await expect(t.db.dataSource.query(`UPDATE service_certificate SET total_minutes = 600 WHERE number = $1`, [issued.number])).rejects.toThrow(/permission denied/);
  });
});
