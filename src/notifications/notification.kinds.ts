import { registerEnumType } from '@nestjs/graphql';

/** What a notification is about. Each kind can be turned off by its recipient. */
export enum NotificationKind {
  /** The month's theme list of the resident's village is out. */
  THEMES_PUBLISHED = 'THEMES_PUBLISHED',
  /** A place freed up and the resident moved from the waitlist into it. */
  WAITLIST_PROMOTED = 'WAITLIST_PROMOTED',
  /** The activity the resident holds a place in starts tomorrow. */
  ACTIVITY_REMINDER = 'ACTIVITY_REMINDER',
  POINTS_MINTED = 'POINTS_MINTED',
  POINTS_SPENT = 'POINTS_SPENT',
  POINTS_REFUNDED = 'POINTS_REFUNDED',
  /** A course the resident enrolled in was cancelled by its branch, and the price refunded. */
  COURSE_CANCELLED = 'COURSE_CANCELLED',
  /** A month's settlement finished (township admins). */
  SETTLEMENT_FINISHED = 'SETTLEMENT_FINISHED',
}
registerEnumType(NotificationKind, { name: 'NotificationKind' });

export const NOTIFICATION_KINDS = Object.values(NotificationKind);

/** What each kind is called in the settings. */
export const KIND_LABELS: Record<NotificationKind, string> = {
  THEMES_PUBLISHED: '本月活动主题发布',
  WAITLIST_PROMOTED: '候补转正',
  ACTIVITY_REMINDER: '活动前一天提醒',
  POINTS_MINTED: '积分到账',
  POINTS_SPENT: '积分支出',
  POINTS_REFUNDED: '积分退还',
  COURSE_CANCELLED: '课程取消',
  SETTLEMENT_FINISHED: '月度结算完成',
};

/**
 * Urgent kinds skip quiet hours: a promoted resident must know tonight that they hold a
 * place tomorrow morning, or it is an empty seat.
 */
export const URGENT_KINDS: ReadonlySet<NotificationKind> = new Set([NotificationKind.WAITLIST_PROMOTED]);

/** The configuration variable holding each kind's WeChat template id (points share one). */
export const TEMPLATE_VARIABLE: Record<NotificationKind, string> = {
  THEMES_PUBLISHED: 'WECHAT_TEMPLATE_THEMES',
  WAITLIST_PROMOTED: 'WECHAT_TEMPLATE_PROMOTED',
  ACTIVITY_REMINDER: 'WECHAT_TEMPLATE_REMINDER',
  POINTS_MINTED: 'WECHAT_TEMPLATE_POINTS',
  POINTS_SPENT: 'WECHAT_TEMPLATE_POINTS',
  POINTS_REFUNDED: 'WECHAT_TEMPLATE_POINTS',
  COURSE_CANCELLED: 'WECHAT_TEMPLATE_COURSE_CANCELLED',
  SETTLEMENT_FINISHED: 'WECHAT_TEMPLATE_SETTLEMENT',
};

/** Who hears about an event; resolved into persons by the delivery job, not in the feature's transaction. */
export type Audience =
  | { residents: string[] }
  | { persons: string[] }
  | { branchResidents: string }
  | { townshipAdmins: true };

/** What a feature tells: the facts, from which the outbox writes the message. */
export type NotificationFacts =
  | { kind: NotificationKind.THEMES_PUBLISHED; branchId: string; month: string }
  | { kind: NotificationKind.WAITLIST_PROMOTED; activityId: string; title: string; startsAt: Date }
  | { kind: NotificationKind.ACTIVITY_REMINDER; activityId: string; title: string; startsAt: Date; place: string }
  | { kind: NotificationKind.POINTS_MINTED; activityId: string; title: string; points: number }
  | { kind: NotificationKind.POINTS_SPENT; courseId: string; title: string; points: number }
  | { kind: NotificationKind.POINTS_REFUNDED; courseId: string; title: string; points: number }
  | { kind: NotificationKind.COURSE_CANCELLED; courseId: string; title: string; reason: string }
  | { kind: NotificationKind.SETTLEMENT_FINISHED; month: string };

export interface RenderedMessage {
  title: string;
  body: string;
  /** Links for the app: which activity, course or month it is about. */
  data: { activityId?: string; courseId?: string; branchId?: string; month?: string; points?: number };
}

const shanghai = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
/** e.g. 12月3日 09:00 */
export function shanghaiTime(at: Date): string {
  const parts = Object.fromEntries(shanghai.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.month}月${parts.day}日 ${parts.hour}:${parts.minute}`;
}

/** The message residents read, in Simplified Chinese. */
export function render(facts: NotificationFacts): RenderedMessage {
  switch (facts.kind) {
    case NotificationKind.THEMES_PUBLISHED: {
      const [year, month] = facts.month.split('-');
      return {
        title: `${Number(month)}月文明实践活动主题已发布`,
        body: `${year}年${Number(month)}月的活动主题清单已发布，快来看看本村有哪些活动吧。`,
        data: { branchId: facts.branchId, month: facts.month },
      };
    }
    case NotificationKind.WAITLIST_PROMOTED:
      return {
        title: '候补成功，您已获得名额',
        body: `「${facts.title}」有人取消，您已从候补转为正式报名。活动时间：${shanghaiTime(facts.startsAt)}。`,
        data: { activityId: facts.activityId },
      };
    case NotificationKind.ACTIVITY_REMINDER:
      return {
        title: '明天有您报名的活动',
        body: `「${facts.title}」将于${shanghaiTime(facts.startsAt)}在${facts.place}开始，请准时参加并签到。`,
        data: { activityId: facts.activityId },
      };
    case NotificationKind.POINTS_MINTED:
      return {
        title: `积分到账 +${facts.points}`,
        body: `参加「${facts.title}」获得 ${facts.points} 积分，已存入您的文明银行存折。`,
        data: { activityId: facts.activityId, points: facts.points },
      };
    case NotificationKind.POINTS_SPENT:
      return {
        title: `积分支出 -${facts.points}`,
        body: `报名「${facts.title}」支出 ${facts.points} 积分。`,
        data: { courseId: facts.courseId, points: facts.points },
      };
    case NotificationKind.POINTS_REFUNDED:
      return {
        title: `积分退还 +${facts.points}`,
        body: `您取消了「${facts.title}」的报名，${facts.points} 积分已退还。`,
        data: { courseId: facts.courseId, points: facts.points },
      };
    case NotificationKind.COURSE_CANCELLED:
      return {
        title: '课程已取消，积分已退还',
        body: `「${facts.title}」已取消（${facts.reason}），您报名支付的积分已全部退还。`,
        data: { courseId: facts.courseId },
      };
    case NotificationKind.SETTLEMENT_FINISHED: {
      const [year, month] = facts.month.split('-');
      return {
        title: `${year}年${Number(month)}月结算完成`,
        body: `${year}年${Number(month)}月的月度结算已完成并封存，可查看各分行报表与公示。`,
        data: { month: facts.month },
      };
    }
  }
}
