import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import QRCode from 'qrcode';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { SeededTownship, seedTownship } from '../support/factories';
import { grantAdmin } from '../support/roles';
import { devLogin, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);
const BASE = 'https://bank.example.cn';

/**
 * The public statement (三务公开) of a branch for a settled month, as JSON and as a
 * printable page, without logging in: what it shows, that it shows nothing else about a
 * person, that the printed page fits one A4 sheet under its CSP, and its rate limit.
 */
describe('public monthly statement', () => {
  let t: TestApp;
  /** As the owner role: only the owner may book into an earlier month. */
  let backdating: TransactionRunner;
  const ledger = new LedgerService();
  const current = monthOf(new Date());
  const month = addMonths(current, -2);
  const nextMonth = addMonths(current, -1);
  let town: SeededTownship;
  let admin: string;
  let minute = 0;
  const at = (m: string) => new Date(monthRange(m).start.getTime() + 86_400_000 + ++minute * 60_000);
  const NAMES = ['马秀珍', '王芳', '欧阳娜娜', '李', '张建国', '刘桂英'];
  const activities: { id: string; title: string }[] = [];
  const courses: { id: string; title: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_BASE_URL: BASE });
    backdating = new TransactionRunner(await t.db.asOwner());
    town = await seedTownship(t.db.dataSource, { branches: 2, residentsPerBranch: NAMES.length });
    for (const [i, r] of town.branches[0].residents.entries()) {
      await t.db.dataSource.query(`UPDATE person SET name = $1 WHERE id = $2`, [NAMES[i], r.personId]);
    }
    admin = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
    const b = town.branches[0];
    // Two activities and a course of branch 0, held in `month` (on the 3rd, the 12th and the 20th, Asia/Shanghai).
    for (const [title, day] of [['平安有我 消防安全宣传', 3], ['文明交通劝导', 12]] as const) {
      const starts = new Date(monthRange(month).start.getTime() + (day - 1) * 86_400_000 + 9 * 3_600_000);
      const [{ id }] = await t.db.dataSource.query(
        `INSERT INTO activity (township_id, branch_id, title, place, starts_at, ends_at, signup_deadline, capacity, reward_points, status,
                               checkin_secret, completed_at)
         VALUES ($1, $2, $3, '村委会', $4, $4::timestamptz + interval '2 hours', $4, 50, 2, 'COMPLETED', $5, $4::timestamptz + interval '3 hours') RETURNING id`,
        [town.id, b.id, title, starts, randomBytes(32)],
      );
      activities.push({ id, title });
    }
    const courseStarts = new Date(monthRange(month).start.getTime() + 19 * 86_400_000 + 14 * 3_600_000);
    const [{ id: courseId }] = await t.db.dataSource.query(
      `INSERT INTO course (township_id, branch_id, title, place, starts_at, ends_at, enrol_deadline, cancel_deadline, capacity, price_points)
       VALUES ($1, $2, '小记者团非遗体验课程', '镇文化中心', $3, $3::timestamptz + interval '2 hours', $3, $3, 20, 2) RETURNING id`,
      [town.id, b.id, courseStarts],
    );
    courses.push({ id: courseId, title: '小记者团非遗体验课程' });

    const book = (kind: 'MINT' | 'SPEND', resident: number, points: number, reference: { type: string; id: string }, m = month, branch = 0) => {
      const br = town.branches[branch];
      const amount = kind === 'MINT' ? points : -points;
      return backdating.run((mgr) =>
        ledger.post(mgr, {
          townshipId: town.id,
          idempotencyKey: randomUUID(),
          kind: EntryKind[kind],
          memo: kind === 'MINT' ? '志愿服务' : '体验课程',
          lines: [
            { accountId: br.residents[resident].accountId, amount },
            { accountId: kind === 'MINT' ? br.issuanceAccountId : br.redemptionAccountId, amount: -amount },
          ],
          reference,
          bookedAt: at(m),
        }),
      );
    };
    // Activity 1: residents 0-3 (2 points each); activity 2: residents 0, 4 (3 points); course: residents 0 and 1 (2 points).
    for (const r of [0, 1, 2, 3]) await book('MINT', r, 2, { type: 'ACTIVITY', id: activities[0].id });
    for (const r of [0, 4]) await book('MINT', r, 3, { type: 'ACTIVITY', id: activities[1].id });
    for (const r of [0, 1]) await book('SPEND', r, 2, { type: 'COURSE', id: courseId });
    // Branch 1's points are not branch 0's business.
    await book('MINT', 0, 9, { type: 'ACTIVITY', id: randomUUID() }, month, 1);
    await book('MINT', 5, 1, { type: 'ACTIVITY', id: activities[0].id }, nextMonth);

    // The village's points shop in `month`: rice donated by a local firm and by a resident,
    // some bought, and two bags redeemed by resident 5 (刘桂英) for 4 points; next month one more.
    const [{ id: rice }] = await t.db.dataSource.query(
      `INSERT INTO shop_item (township_id, branch_id, name, unit, price_points, created_at) VALUES ($1, $2, '东北大米', '袋', 2, $3) RETURNING id`,
      [town.id, b.id, at(month)],
    );
    const receive = (source: string, donorKind: string | null, donorName: string | null, quantity: number, m: string) =>
      t.db.dataSource.query(
        `INSERT INTO shop_stock_receipt (township_id, branch_id, item_id, source, donor_kind, donor_name, quantity, unit_points, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 2, $8)`,
        [town.id, b.id, rice, source, donorKind, donorName, quantity, at(m)],
      );
    await receive('DONATION', 'ORGANISATION', '潞城镇粮油公司', 10, month);
    await receive('DONATION', 'PERSON', '张建国', 3, month);
    await receive('PURCHASE', null, null, 5, month);
    await receive('DONATION', 'ORGANISATION', '下月捐赠单位', 4, nextMonth);
    const redeem = async (quantity: number, m: string, code: string) => {
      const id = randomUUID();
      const charge = await book('SPEND', 5, 2 * quantity, { type: 'SHOP_REDEMPTION', id }, m);
      await t.db.dataSource.query(
        `INSERT INTO shop_redemption (id, township_id, branch_id, item_id, resident_id, quantity, unit_points, code, charge_entry_id, redeemed_at, pickup_deadline)
         VALUES ($1, $2, $3, $4, $5, $6, 2, $7, $8, $9, $9::timestamptz + interval '14 days')`,
        [id, town.id, b.id, rice, b.residents[5].id, quantity, code, charge.id, at(m)],
      );
    };
    await grantPoints(5, 10);
    await redeem(2, month, 'ABCDEFGH');
    await redeem(1, nextMonth, 'HGFEDCBA');
  });

  /** Points for a resident to spend: an adjustment, so not the branch's points on its statement. */
  async function grantPoints(resident: number, points: number) {
    await backdating.run((mgr) =>
      ledger.post(mgr, {
        townshipId: town.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind.ADJUSTMENT,
        memo: '期初',
        lines: [
          { accountId: town.branches[0].residents[resident].accountId, amount: points },
          { accountId: town.adjustmentAccountId, amount: -points },
        ],
        bookedAt: at(month),
      }),
    );
  }
  afterAll(() => t?.close());

  const url = (branchId: string, m: string, suffix = '') => `${t.url.replace(/\/graphql$/, '')}/public/statements/${branchId}/${m}${suffix}`;

  async function settle(m: string) {
    await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: town.id, m }, admin);
    return waitFor(`settlement of ${m}`, async () => {
      const s = (await t.gql(`query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { status seal { seal previousSeal merkleRoot entryCount } } }`, { t: town.id, m }, admin))
        .data.settlement;
      return s.status === 'RUNNING' ? undefined : s;
    });
  }

  it('is not there before the month is settled, and refuses what is not a branch or a month', async () => {
    const before = await fetch(url(town.branches[0].id, month, '/json'));
    expect(before.status).toBe(404);
    expect(await before.json()).toEqual({ code: 'MONTH_NOT_SETTLED', message: '该月份尚未完成结算' });
    expect((await fetch(url(randomUUID(), month, '/json'))).status).toBe(404);
    // The page's route answers its errors as JSON too, not as the text/html it was about to send.
    const notABranch = await fetch(url('not-a-branch', month));
    expect(notABranch.status).toBe(404);
    expect(notABranch.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await notABranch.json()).toMatchObject({ code: 'NOT_FOUND' });
    const badMonth = await fetch(url(town.branches[0].id, '2026-13', '/json'));
    expect(badMonth.status).toBe(400);
    expect(((await badMonth.json()) as any).code).toBe('BAD_USER_INPUT');
  });

  it('publishes, without login, the totals, activities with attendance, courses with seats, masked residents and the seals', async () => {
    const settled = await settle(month);
    expect(settled.status).toBe('SUCCEEDED');
    const response = await fetch(url(town.branches[0].id, month, '/json'));
    expect(response.status).toBe(200);
    const statement: any = await response.json();
    const day = (d: number) => `${month}-${String(d).padStart(2, '0')}`;
    expect(statement).toEqual({
      township: expect.stringMatching(/^测试镇/),
      branch: '第1村',
      branchId: town.branches[0].id,
      month,
      settledAt: expect.any(String),
      pointsMinted: 14,
      pointsSpent: 8,
      pointsExpired: 0,
      activities: [
        { title: '平安有我 消防安全宣传', date: day(3), attendees: 4, points: 8 },
        { title: '文明交通劝导', date: day(12), attendees: 2, points: 6 },
      ],
      courses: [{ title: '小记者团非遗体验课程', date: day(20), seatsTaken: 2, points: 4 }],
      // Most points first (ties in any order).
      residents: [
        { name: '马*珍', earned: 5, spent: 2 },
        { name: '张*国', earned: 3, spent: 0 },
        { name: '王*', earned: 2, spent: 2 },
        expect.objectContaining({ earned: 2, spent: 0 }),
        expect.objectContaining({ earned: 2, spent: 0 }),
        { name: '刘*英', earned: 0, spent: 4 },
      ],
      // The village's 文明之星 (its residents' points earned anywhere; here all at branch 0):
      // most points first, ties by the earlier first earning (residents 1, 2, 3 were paid in that order).
      stars: [
        { rank: 1, name: '马*珍', points: 5 },
        { rank: 2, name: '张*国', points: 3 },
        { rank: 3, name: '王*', points: 2 },
        { rank: 4, name: '欧**娜', points: 2 },
        { rank: 5, name: '*', points: 2 },
      ],
      // Donations of the month (a person's name masked, a firm's in full); the rice redeemed and what was left at the month's end.
      shop: {
        donations: [
          { date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), donorKind: 'ORGANISATION', donor: '潞城镇粮油公司', item: '东北大米', unit: '袋', quantity: 10, points: 20 },
          { date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), donorKind: 'PERSON', donor: '张*国', item: '东北大米', unit: '袋', quantity: 3, points: 6 },
        ],
        goods: [{ item: '东北大米', unit: '袋', redeemed: 2, points: 4, stockLeft: 16 }],
      },
      seal: { month, ...settled.seal, sealedAt: expect.any(String) },
      previousMonth: null,
      url: `${BASE}/public/statements/${town.branches[0].id}/${month}`,
    });
    expect(statement.residents.slice(3, 5).map((r: any) => r.name).sort()).toEqual(['*', '欧**娜'].sort());
    expect(statement.shop.donations.map((d: any) => d.date.slice(0, 7))).toEqual([month, month]);
    // The shop's points are among the points spent: courses and goods add up to the total.
    expect(statement.courses[0].points + statement.shop.goods[0].points).toBe(statement.pointsSpent);
    expect(statement.seal.previousSeal).toBe('0'.repeat(64));
    // The residents' points add up to the branch's totals.
    expect(statement.residents.reduce((s: number, r: any) => s + r.earned, 0)).toBe(statement.pointsMinted);
    expect(statement.residents.reduce((s: number, r: any) => s + r.spent, 0)).toBe(statement.pointsSpent);
    // Nothing else about a person: no full name, mobile, person, resident or account id.
    const text = JSON.stringify(statement);
    const people = await t.db.dataSource.query(
      `SELECT p.id, p.name, p.mobile, r.id AS resident, a.id AS account FROM person p JOIN resident r ON r.person_id = p.id
       JOIN account a ON a.resident_id = r.id WHERE r.township_id = $1`,
      [town.id],
    );
    for (const p of people) {
      for (const secret of [p.id, p.mobile, p.resident, p.account, ...(Array.from(p.name).length > 1 ? [p.name] : [])]) expect(text).not.toContain(secret);
    }
  });

  it('prints on one A4 sheet with its QR code, a stylesheet and no script, under a CSP that allows nothing else', async () => {
    const page = await fetch(url(town.branches[0].id, month));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|script-src/);
    const html = await page.text();
    const statement: any = await (await fetch(url(town.branches[0].id, month, '/json'))).json();
    expect(html).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    expect(html).toContain('<link rel="stylesheet" href="/public/statement.css">');
    // The QR code is its own page's address.
    expect(html).toContain(await QRCode.toString(statement.url, { type: 'svg', margin: 0, errorCorrectionLevel: 'M' }));
    expect(html).toContain('<h2>文明之星</h2>');
    expect(html).toContain('<li><span class="rank">1</span><span>马*珍</span><span>5 分</span></li>');
    expect(html).toContain('<li><span class="rank">2</span><span>张*国</span><span>3 分</span></li>');
    for (const expected of ['马*珍', '欧**娜', '平安有我 消防安全宣传', '小记者团非遗体验课程', '积分超市 · 本月收到的捐赠', '潞城镇粮油公司', '<td>16袋</td>', '怎样核对账本没有被改过', statement.seal.seal.replace(/(.{4})(?=.)/g, '$1 ')]) {
      expect(html).toContain(expected);
    }
    const css = await fetch(`${t.url.replace(/\/graphql$/, '')}/public/statement.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('size: A4');

    // A real browser prints it: one A4 page, the masked names and the seal on it, no CSP violation.
    const dir = mkdtempSync(join(tmpdir(), 'cb-statement-'));
    try {
      const pdf = join(dir, 'statement.pdf');
      const { stderr } = await run(
        'chromium',
        ['--headless', '--no-sandbox', '--disable-gpu', '--no-pdf-header-footer', `--user-data-dir=${join(dir, 'profile')}`,
         '--enable-logging=stderr', '--v=0', `--print-to-pdf=${pdf}`, url(town.branches[0].id, month)],
        { timeout: 60_000 },
      );
      expect(stderr).not.toMatch(/Content Security Policy/i);
      const info = (await run('pdfinfo', [pdf])).stdout;
      expect(info).toMatch(/^Pages:\s+1$/m);
      expect(info).toMatch(/^Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)/m);
      const printed = (await run('pdftotext', ['-layout', pdf, '-'])).stdout;
      expect(printed).toContain('马*珍');
      // The 文明之星 section printed, in rank order, before the activities.
      const starsAt = printed.indexOf('文明之星');
      expect(starsAt).toBeGreaterThan(-1);
      expect(starsAt).toBeLessThan(printed.indexOf('志愿服务活动'));
      const starLines = printed.slice(starsAt, printed.indexOf('志愿服务活动')).replace(/\s+/g, ' ');
      expect(starLines.replace(/ 分/g, '分')).toContain('1 马*珍 5分 2 张*国 3分 3 王* 2分 4 欧**娜 2分 5 * 2分');
      // The shop's lines: the firm's donation, the rice redeemed and the stock left.
      expect(printed).toMatch(/潞城镇粮油公司\s+东北大米\s+10袋\s+20/);
      expect(printed).toMatch(/东北大米\s+2袋\s+4\s+16袋/);
      expect(printed).not.toContain('下月捐赠单位');
      expect(printed.replace(/\s/g, '')).toContain(statement.seal.seal);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shows the previous month's seal once the next month is settled", async () => {
    const first = ((await (await fetch(url(town.branches[0].id, month, '/json'))).json()) as any).seal;
    const settled = await settle(nextMonth);
    expect(settled.status).toBe('SUCCEEDED');
    const next: any = await (await fetch(url(town.branches[0].id, nextMonth, '/json'))).json();
    expect(next).toMatchObject({
      month: nextMonth,
      pointsMinted: 1,
      activities: [{ title: '平安有我 消防安全宣传', attendees: 1, points: 1 }],
      pointsSpent: 2,
      residents: [{ name: '刘*英', earned: 1, spent: 2 }],
      stars: [{ rank: 1, name: '刘*英', points: 1 }],
      // The next month's donation and redemption, and the stock carried over: 16 + 4 - 1.
      shop: {
        donations: [expect.objectContaining({ donor: '下月捐赠单位', quantity: 4 })],
        goods: [{ item: '东北大米', unit: '袋', redeemed: 1, points: 2, stockLeft: 19 }],
      },
      previousMonth: month,
      seal: { previousSeal: first.seal, seal: settled.seal.seal },
    });
    const html = await (await fetch(url(town.branches[0].id, nextMonth))).text();
    expect(html).toContain(`上月（${month}）封存值`);
    expect(html).toContain(first.seal.replace(/(.{4})(?=.)/g, '$1 '));
  });
});

describe('public statement rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PUBLIC_PER_MINUTE: '3' });
  });
  afterAll(() => t?.close());

  it('limits each client address, and only the public pages', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const statuses = [];
    const remaining = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/public/statements/${randomUUID()}/2026-01/json`);
      statuses.push(res.status);
      remaining.push(res.headers.get('x-ratelimit-remaining-public'));
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    expect(remaining.slice(0, 3)).toEqual(['2', '1', '0']);
    const limited = await fetch(`${base}/public/statement.css`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after-public')).toMatch(/^\d+$/);
    expect(await limited.json()).toEqual({ code: 'RATE_LIMITED', message: '操作过于频繁，请稍后再试' });
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });
});
