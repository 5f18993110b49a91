import { INestApplicationContext, Logger } from '@nestjs/common';
import { ActivityRepository } from '../activities/activity.repository';
import { ActivityService } from '../activities/activity.service';
import { AttendanceService } from '../activities/attendance.service';
import { SignupService } from '../activities/signup.service';
import { Attendance } from '../activities/activity.entity';
import { Principal } from '../auth/principal';
import { PrincipalLoader } from '../auth/principal.loader';
import { DomainError } from '../common/errors/domain.error';
import { Clock } from '../common/time/clock';
import { addMonths, monthOf, monthRange, monthToPeriodDate } from '../common/time/shanghai-month';
import { CourseRepository } from '../courses/course.repository';
import { CourseService } from '../courses/course.service';
import { HouseholdService } from '../households/household.service';
import { DeedService } from '../deeds/deed.service';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { LedgerService } from '../ledger/ledger.service';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { OrganisationService } from '../organisation/organisation.service';
import { DonorKind, StockSource } from '../shop/shop.entity';
import { ShopService } from '../shop/shop.service';
import { ThemeRepository } from '../themes/theme.repository';
import { ThemeService } from '../themes/theme.service';

/**
 * 潞城镇's demo data: every screen of a front end has something real to show. Written
 * through the same services the API uses (validation, access checks, the ledger), and
 * idempotent: each step looks for what it would create first, so running it again
 * changes nothing.
 */

/** 潞城镇 (Tongzhou, Beijing) governs 54 administrative villages. */
export const DEMO_VILLAGES = [
  '武兴庄村', '大东各庄村', '西营村', '东堡村', '后北营村', '古城村', '胡各庄村', '东刘庄村', '夏店村', '辛安屯村',
  '崔家楼村', '卜落垡村', '七级村', '武疃村', '南刘各庄村', '北刘各庄村', '大营村', '小营村', '东小营村', '西小营村',
  '兴各庄村', '孔庄村', '燕山营村', '前北营村', '凌庄村', '常屯村', '侉店村', '甘棠村', '东杨庄村', '西杨庄村',
  '中堡村', '后堡村', '前堡村', '召里村', '霍屯村', '大甘棠村', '小甘棠村', '后元化村', '前元化村', '太子府村',
  '魏家坟村', '东夏园村', '西夏园村', '肖家林村', '康各庄村', '李疃村', '刘疃村', '郝家府村', '谢楼村', '贾后疃村',
  '黄疃村', '安辛庄村', '芦庄村', '杨坨村',
];
export const DEMO_TEAMS = ['政策宣讲队', '治安巡逻队', '环境保护队', '文明交通队', '邻里互助队', '文化服务队'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '高', '罗'];
const GIVEN = ['秀英', '桂兰', '建国', '志强', '淑珍', '玉兰', '国华', '红梅', '海燕', '德明', '春生', '丽华', '永福', '凤英', '文博', '子涵'];

export const DEMO_TOWNSHIP = { townshipCode: 'lucheng', townshipName: '潞城镇', adminName: '张书记', adminMobile: '13800000001' };
export const DEMO_THEMES = [
  { title: '消防安全', description: '“平安有我”消防安全宣传、隐患排查', suggestedPoints: 2 },
  { title: '文明交通', description: '路口文明交通劝导、交通安全宣传', suggestedPoints: 2 },
  { title: '非遗传承', description: '非物质文化遗产体验与传承', suggestedPoints: 2 },
];
export const DEMO_COURSE = '小记者团非遗体验课程';
/** Last month's history, so that the month can be settled with real figures. */
export const DEMO_LAST_MONTH_ACTIVITY = '文明交通劝导（上月）';
export const DEMO_LAST_MONTH_COURSE = '传统剪纸体验课（上月）';
/** The first villages have a points shop (积分超市); the rest can set one up from the app. */
export const DEMO_SHOP_VILLAGES = 3;
/** The shop's catalogue: name, unit, points per unit, description. */
export const DEMO_SHOP_ITEMS: [string, string, number, string][] = [
  ['东北大米 5kg', '袋', 15, '五常稻花香，5公斤装'],
  ['食用油 5L', '桶', 20, '压榨花生油，5升装'],
  ['洗衣液 2kg', '瓶', 6, '2公斤装'],
  ['毛巾', '条', 2, '纯棉毛巾'],
  ['香皂', '块', 1, ''],
];
/** Stock received last month (or at the first run when last month cannot be written): item, quantity, and the donor if donated. */
const DEMO_SHOP_RECEIPTS: { item: string; quantity: number; donor?: [DonorKind, string, string] }[] = [
  { item: '东北大米 5kg', quantity: 20, donor: [DonorKind.ORGANISATION, '潞城镇粮油公司', '爱心企业捐赠'] },
  { item: '食用油 5L', quantity: 10, donor: [DonorKind.PERSON, '王德明', '退休老党员捐赠'] },
  { item: '香皂', quantity: 40, donor: [DonorKind.ORGANISATION, '潞城镇永安日化店', '爱心商户捐赠'] },
  { item: '洗衣液 2kg', quantity: 20 },
  { item: '毛巾', quantity: 30 },
];

export interface DemoSeedOptions {
  villages?: number;
  residentsPerVillage?: number;
}

export interface DemoSeedResult {
  townshipId: string;
  adminMobile: string;
  villages: { branchId: string; name: string; managerMobile: string; residentMobiles: string[] }[];
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Mobile numbers follow a pattern so a developer can log in as anyone: see the README. */
export const managerMobile = (village: number) => `1380010${String(village + 1).padStart(4, '0')}`;
export const shopkeeperMobile = (village: number) => `1380020${String(village + 1).padStart(4, '0')}`;
export const residentMobile = (village: number, n: number) => `139${String(village + 1).padStart(2, '0')}${String(n + 1).padStart(6, '0')}`;

export async function seedDemo(app: INestApplicationContext, options: DemoSeedOptions = {}): Promise<DemoSeedResult> {
  const villages = Math.min(options.villages ?? DEMO_VILLAGES.length, DEMO_VILLAGES.length);
  const residentsPerVillage = options.residentsPerVillage ?? 50;
  const logger = new Logger('DemoSeed');
  const organisation = app.get(OrganisationService);
  const themes = app.get(ThemeService);
  const activities = app.get(ActivityService);
  const signupService = app.get(SignupService);
  const attendance = app.get(AttendanceService);
  const courses = app.get(CourseService);
  const households = app.get(HouseholdService);
  const deeds = app.get(DeedService);
  const shop = app.get(ShopService);
  const principals = app.get(PrincipalLoader);
  const tx = app.get(TransactionRunner);
  // What is there already, asked of each table's owner.
  const people = app.get(OrganisationRepository);
  const themeRows = app.get(ThemeRepository);
  const activityRows = app.get(ActivityRepository);
  const courseRows = app.get(CourseRepository);
  const ledger = app.get(LedgerService);
  const ledgerReads = app.get(LedgerReadsRepository);
  const personOf = async (residentId: string) => (await tx.read((m) => people.residentScope(m, residentId)))?.personId;
  const clock = app.get(Clock);
  const realNow = clock.now.bind(clock);
  const realBookingTime = clock.bookingTime.bind(clock);
  const principal = async (personId: string): Promise<Principal> => (await principals.load(personId))!;

  const { townshipId, adminPersonId } = await organisation.bootstrap(DEMO_TOWNSHIP);
  const admin = await principal(adminPersonId);
  const now = new Date();
  const month = monthOf(now);
  const lastMonth = addMonths(month, -1);
  const lastMonthOpen = await canBookLastMonth();

  // This month's township themes; each branch's list is published once the branch exists.
  const themeIds = new Map<string, string>();
  for (const theme of DEMO_THEMES) {
    const existing = await tx.read((m) => themeRows.townshipThemeId(m, townshipId, monthToPeriodDate(month), theme.title));
    themeIds.set(theme.title, existing ?? (await themes.addTheme(admin, { townshipId, month, ...theme })).id);
  }

  // The good-deed table (好人好事): kinds and the most points each may earn.
  for (const [name, points] of DEMO_DEED_KINDS) {
    await ignoring('ALREADY_EXISTS', () => deeds.saveKind(admin, { townshipId, name, points, active: true }));
  }

  const result: DemoSeedResult = { townshipId, adminMobile: DEMO_TOWNSHIP.adminMobile, villages: [] };
  for (let v = 0; v < villages; v++) {
    const name = DEMO_VILLAGES[v];
    const found = await tx.read((m) => people.branchIdByName(m, townshipId, name));
    const branchId: string = found ?? (await organisation.createBranch(admin, { townshipId, name, kind: 'VILLAGE' as never })).id;
    for (const team of DEMO_TEAMS) await ignoring('ALREADY_EXISTS', () => organisation.createServiceTeam(admin, { branchId, name: team }));
    const manager = await organisation.appointBranchManager(admin, { branchId, name: `${name.slice(0, -1)}书记`, mobile: managerMobile(v) });
    const residentMobiles: string[] = [];
    const residentIds: string[] = [];
    for (let r = 0; r < residentsPerVillage; r++) {
      const mobile = residentMobile(v, r);
      const name = SURNAMES[(v * 7 + r) % SURNAMES.length] + GIVEN[(v + r * 3) % GIVEN.length];
      residentIds.push((await organisation.registerResident(admin, { branchId, name, mobile })).id);
      residentMobiles.push(mobile);
    }
    result.villages.push({ branchId, name, managerMobile: managerMobile(v), residentMobiles });
    // The branch's theme list for the month, as the 1st-of-month job publishes it.
    await tx.run((m) => themes.publishBranch(m, townshipId, branchId, month, adminPersonId));
    const managerPrincipal = await principal(manager.personId);
    // Residents 1 and 2 of every village are its scoring group (评议小组).
    for (const residentId of residentIds.slice(0, 2)) await deeds.appointScorer(managerPrincipal, branchId, residentId);
    await seedVillageActivities(v, branchId, managerPrincipal, residentIds);
    // A household (户): resident 21 heads it with resident 22 and their child 小宝, who has no phone.
    if (residentIds.length >= 22) {
      const household = await ignoring('ALREADY_IN_HOUSEHOLD', () =>
        households.create(managerPrincipal, { branchId, headResidentId: residentIds[20], memberResidentIds: [residentIds[21]] }),
      );
      if (household) await households.addDependent(managerPrincipal, { householdId: household.id, name: '小宝', birthYear: 2017 });
    }
    if (lastMonthOpen) await seedLastMonth(branchId, managerPrincipal, residentIds);
    if (v < DEMO_SHOP_VILLAGES && residentIds.length >= 24) await seedShop(v, branchId, managerPrincipal, residentIds);
  }
  logger.log(`潞城镇 ready: ${villages} villages, ${villages * residentsPerVillage} residents`);
  return result;

  /**
   * Last month's entries must be dated in it, which only the ledger's owner role may do
   * (the embedded PostgreSQL's user is); and a settled month takes no more entries.
   */
  async function canBookLastMonth(): Promise<boolean> {
    const owner = await tx.read((m) => ledgerReads.isLedgerOwner(m));
    const closed = await tx.read((m) => ledger.isPeriodClosed(m, townshipId, lastMonth));
    if (!owner) logger.warn(`no history for ${lastMonth}: only the ledger's owner role may book entries in the past`);
    else if (closed) logger.log(`${lastMonth} is already settled: no history added to it`);
    return owner && !closed;
  }

  /**
   * A completed month: on the 10th, 文明交通劝导 (16 attendees paid 2 points each, two
   * absent), and five of them spend 2 points on a course. Residents from the end of the
   * list, so this month's examples (the first residents) keep their figures.
   */
  async function seedLastMonth(branchId: string, manager: Principal, residentIds: string[]) {
    const heldAt = new Date(monthRange(lastMonth).start.getTime() + 9 * DAY + 9 * HOUR);
    const volunteerIds = residentIds.slice(-18);
    const volunteers = await Promise.all(volunteerIds.map(async (id) => principal((await personOf(id))!)));
    const at = (time: Date) => {
      clock.now = () => time;
      clock.bookingTime = () => time;
    };
    try {
      const details = { title: DEMO_LAST_MONTH_ACTIVITY, description: '早晚高峰在村口路口劝导行人、非机动车文明出行。', place: '村口路口' };
      await completedActivity(branchId, manager, details, heldAt, volunteers, volunteerIds.slice(0, 16), volunteerIds.slice(16), at);
      at(new Date(heldAt.getTime() + 3 * HOUR));
      const courseId = await courseOf(branchId, manager, DEMO_LAST_MONTH_COURSE, '非遗传承人讲解并示范传统剪纸，学员现场体验。', new Date(heldAt.getTime() + 5 * DAY));
      at(new Date(heldAt.getTime() + DAY));
      for (const resident of volunteers.slice(0, 5)) await ignoring('ALREADY_ENROLLED', () => courses.enrol(resident, courseId));
    } finally {
      clock.now = realNow;
      clock.bookingTime = realBookingTime;
    }
  }

  /**
   * The village's points shop: open Wednesdays and Saturdays 09:00–11:30, five goods,
   * stock donated by a local firm, a shop and a retired party member and some bought, a
   * shopkeeper, two redemptions picked up and one waiting. The stock and the two pickups
   * are dated last month when it can still be written (so its public statement shows
   * donations, goods redeemed and stock left), else now; the waiting one is always now.
   * Receipts and redemptions are append-only, so each is written only if the shop has none yet.
   */
  async function seedShop(v: number, branchId: string, manager: Principal, residentIds: string[]) {
    const current = await shop.shop(manager, branchId);
    if (!current.pickupWeekdays.length) {
      await shop.updateShop(manager, { branchId, pickupWeekdays: [3, 6], opensAt: '09:00', closesAt: '11:30', place: `${DEMO_VILLAGES[v]}村委会一楼积分超市`, note: '请凭兑换码领取', pickupDays: 14 });
    }
    const keeper = await organisation.appointShopkeeper(manager, {
      branchId,
      name: SURNAMES[(v * 3 + 11) % SURNAMES.length] + GIVEN[(v * 5 + 2) % GIVEN.length],
      mobile: shopkeeperMobile(v),
    });
    const shopkeeper = await principal(keeper.personId);
    const residentOf = async (id: string) => principal((await personOf(id))!);
    // Last month's volunteers (paid then) pick up last month; this month's a resident paid this month.
    const [firstPicker, secondPicker] = lastMonthOpen ? residentIds.slice(-18).slice(5, 7) : residentIds.slice(6, 8);
    const waiting = residentIds[5];
    // The 12th of last month (after the volunteers were paid on the 10th), a Wednesday and a Saturday after it.
    const base = lastMonthOpen ? new Date(monthRange(lastMonth).start.getTime() + 11 * DAY + 10 * HOUR) : undefined;
    const nextWeekday = (from: Date, weekday: number) => {
      const shanghaiDay = (new Date(from.getTime() + 8 * HOUR).getUTCDay() + 6) % 7 + 1;
      return new Date(from.getTime() + ((weekday - shanghaiDay + 7) % 7) * DAY);
    };
    const at = (time: Date | undefined) => {
      clock.now = time ? () => time : realNow;
      clock.bookingTime = time ? () => time : realBookingTime;
    };
    try {
      at(base);
      for (const [name, unit, pricePoints, description] of DEMO_SHOP_ITEMS) {
        await ignoring('ALREADY_EXISTS', () => shop.createItem(manager, { branchId, name, unit, pricePoints, description }));
      }
      const items = new Map((await shop.items(manager, { branchId, includeInactive: true }, { first: 100 })).edges.map((e) => [e.node.name, e.node]));
      if (!(await shop.receipts(manager, branchId, { first: 1 })).edges.length) {
        for (const [i, r] of DEMO_SHOP_RECEIPTS.entries()) {
          // Ten minutes apart: the statement lists donations in the order they came.
          if (base) at(new Date(base.getTime() + i * 10 * 60_000));
          const item = items.get(r.item)!;
          await shop.recordReceipt(manager, {
            itemId: item.id,
            source: r.donor ? StockSource.DONATION : StockSource.PURCHASE,
            donorKind: r.donor?.[0],
            donorName: r.donor?.[1],
            note: r.donor?.[2] ?? '村集体采购',
            quantity: r.quantity,
            unitPoints: item.pricePoints,
          });
        }
      }
      if (!(await shop.branchRedemptions(manager, { branchId }, { first: 1 })).edges.length) {
        const redeemedAt = nextWeekday(base ?? realNow(), 3);
        at(base ? redeemedAt : undefined);
        const towel = await shop.redeem(await residentOf(firstPicker), { itemId: items.get('毛巾')!.id, quantity: 1 });
        const soap = await shop.redeem(await residentOf(secondPicker), { itemId: items.get('香皂')!.id, quantity: 2 });
        // Handed over on the next pickup morning (the shop refuses other times).
        const pickup = nextWeekday(new Date(redeemedAt.getTime() + DAY), 6);
        const pickupMorning = new Date(pickup.getTime() - ((pickup.getTime() + 8 * HOUR) % DAY) + 10 * HOUR);
        clock.now = () => pickupMorning;
        if (base) clock.bookingTime = () => pickupMorning;
        for (const r of [towel, soap]) await shop.confirmPickup(shopkeeper, { branchId, code: r.code });
        at(undefined);
        await shop.redeem(await residentOf(waiting), { itemId: items.get('毛巾')!.id, quantity: 1 });
      }
    } finally {
      at(undefined);
    }
  }

  /** The branch's course of this title, created if missing: 2 points, 15 seats, at the township's culture centre. */
  async function courseOf(branchId: string, manager: Principal, title: string, description: string, startsAt: Date): Promise<string> {
    const found = await tx.read((m) => courseRows.idByTitle(m, branchId, title));
    if (found) return found;
    const created = await courses.create(manager, {
      branchId,
      title,
      description,
      place: '镇文化中心',
      startsAt,
      endsAt: new Date(startsAt.getTime() + 2 * HOUR),
      enrolDeadline: new Date(startsAt.getTime() - DAY),
      cancelDeadline: new Date(startsAt.getTime() - 2 * DAY),
      capacity: 15,
      pricePoints: 2,
    });
    return created.id;
  }

  /**
   * A past activity of the branch held at `heldAt` (skipped once completed): created and
   * published two days before, signed up for, attendance marked, completed (the present
   * are paid). `at` moves the clock.
   */
  async function completedActivity(
    branchId: string,
    manager: Principal,
    details: { title: string; description: string; place: string; themeId?: string },
    heldAt: Date,
    signups: Principal[],
    present: string[],
    absent: string[],
    at: (time: Date) => void,
  ) {
    const held = await tx.read((m) => activityRows.findByTitle(m, branchId, details.title));
    if (held?.status === 'COMPLETED') return;
    at(new Date(heldAt.getTime() - 2 * DAY));
    const id: string =
      held?.id ??
      (await activities.create(manager, {
        branchId,
        ...details,
        startsAt: heldAt,
        endsAt: new Date(heldAt.getTime() + 2 * HOUR),
        signupDeadline: new Date(heldAt.getTime() - DAY),
        capacity: 20,
        rewardPoints: 2,
      }).then((a) => a.id as string));
    await activities.publish(manager, id);
    for (const resident of signups) await ignoring('ALREADY_SIGNED_UP', () => signupService.signUp(resident, id));
    at(new Date(heldAt.getTime() + 30 * 60_000));
    await attendance.markAttendance(manager, { activityId: id, residentIds: present, attendance: Attendance.PRESENT });
    await attendance.markAttendance(manager, { activityId: id, residentIds: absent, attendance: Attendance.ABSENT });
    await attendance.complete(manager, id);
  }

  async function seedVillageActivities(v: number, branchId: string, manager: Principal, residentIds: string[]) {
    const residentPrincipals = await Promise.all(residentIds.slice(0, 24).map(async (id) => principal((await personOf(id))!)));
    const themeFor = (at: Date, title: string) => (monthOf(at) === month ? themeIds.get(title) : undefined);
    try {
      // History: last week's fire-safety publicity, attended and paid. Held in this month
      // when possible so it carries this month's theme.
      const lastWeek = new Date(now.getTime() - 6 * DAY);
      const heldAt = monthOf(lastWeek) === month ? lastWeek : new Date(now.getTime() - 3 * HOUR);
      const details = {
        title: '“平安有我”消防安全宣传（上期）',
        description: '入户发放消防安全宣传册，讲解燃气、电动车充电安全常识。',
        place: `${DEMO_VILLAGES[v]}村委会`,
        themeId: themeFor(heldAt, '消防安全'),
      };
      const at = (time: Date) => (clock.now = () => time);
      await completedActivity(branchId, manager, details, heldAt, residentPrincipals.slice(0, 20), residentIds.slice(0, 16), residentIds.slice(16, 20), at);
      clock.now = realNow;

      // Coming up: two activities open for sign-up, and the experience course.
      const upcoming = [
        { title: '“平安有我”消防安全宣传', theme: '消防安全', inDays: 3, capacity: 30, signups: 12, place: '村文化广场' },
        { title: '文明交通劝导', theme: '文明交通', inDays: 5, capacity: 20, signups: 8, place: '村口路口' },
      ];
      for (const u of upcoming) {
        if (await tx.read((m) => activityRows.findByTitle(m, branchId, u.title))) continue;
        const startsAt = new Date(now.getTime() + u.inDays * DAY);
        const created = await activities.create(manager, {
          branchId,
          title: u.title,
          description: `${u.title}，欢迎居民踊跃报名。完成后每人获得2积分。`,
          place: u.place,
          themeId: themeFor(startsAt, u.theme),
          startsAt,
          endsAt: new Date(startsAt.getTime() + 2 * HOUR),
          signupDeadline: new Date(startsAt.getTime() - DAY),
          capacity: u.capacity,
          rewardPoints: 2,
        });
        await activities.publish(manager, created.id);
        for (const resident of residentPrincipals.slice(4, 4 + u.signups)) await ignoring('ALREADY_SIGNED_UP', () => signupService.signUp(resident, created.id));
      }

      const courseId = await courseOf(branchId, manager, DEMO_COURSE, '小记者走进非遗传承人工作室，采访、拍摄并体验传统手工艺。', new Date(now.getTime() + 7 * DAY));
      // Five of last week's volunteers spend their 2 points on it.
      for (const resident of residentPrincipals.slice(0, 5)) await ignoring('ALREADY_ENROLLED', () => courses.enrol(resident, courseId));
    } finally {
      clock.now = realNow;
    }
  }
}

/** The demo's table of good deeds and their points. */
const DEMO_DEED_KINDS: [string, number][] = [
  ['扶老助残', 5],
  ['邻里互助', 2],
  ['拾金不昧', 3],
  ['环境整治', 2],
  ['见义勇为', 10],
];

async function ignoring<T>(code: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError && error.code === code) return undefined;
    throw error;
  }
}
