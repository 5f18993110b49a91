/** The notifications queue: expanding outbox events into inboxes, and the sweep. */
export const NOTIFICATIONS_QUEUE = 'notifications';

/**
 * WeChat messages have a queue (and workers) of their own: a slow or rate-limiting WeChat
 * never holds up the inbox of the next event.
 */
export const NOTIFICATIONS_WECHAT_QUEUE = 'notifications-wechat';

export const NotificationJob = {
  /** One outbox event: its inbox rows for the whole audience, then its WeChat batches. */
  EXPAND: 'expand',
  /** The due WeChat messages of one id range of one event (on NOTIFICATIONS_WECHAT_QUEUE). */
  WECHAT: 'wechat',
  /** Repeated: re-queues what a lost job or a crash left undelivered. */
  SWEEP: 'sweep',
} as const;

export const NOTIFICATION_SWEEP_SCHEDULER_ID = 'notification-sweep';

/** WeChat messages per job: one job add per batch, never one per resident. */
export const WECHAT_BATCH = 200;

/** The job that expands an event; the sweep's re-queue carries its round, so a failed job's id does not block it. */
export const expandJobId = (eventId: string, round?: number) => (round === undefined ? `expand.${eventId}` : `expand.${eventId}.r${round}`);

/** A WeChat batch, named by the earliest time it may run: a deferral (quiet hours, rate limit) is a new job. */
export const wechatJobId = (eventId: string, fromId: string, toId: string, notBefore: number) => `wechat.${eventId}.${fromId}-${toId}.${notBefore}`;

export interface ExpandJobData {
  eventId: string;
}

export interface WechatJobData {
  eventId: string;
  fromId: string;
  toId: string;
  urgent: boolean;
}
