import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { EntityManager } from 'typeorm';
import { afterCommit, TransactionRunner } from '../database/transaction.runner';
import { JobQueues } from '../jobs/job-queues';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { Audience, NOTIFICATION_KINDS, NotificationKind, RenderedMessage, TEMPLATE_VARIABLE } from './notification.kinds';
import { ExpandJobData, expandJobId, NOTIFICATIONS_QUEUE, NOTIFICATIONS_WECHAT_QUEUE, NotificationJob, WECHAT_BATCH, WechatJobData, wechatJobId } from './notification.jobs';
import { DueWechatRow, NotificationRepository } from './notification.repository';
import { RETRIED_JOB_OPTIONS } from '../jobs/job-handler';
import { quietUntil } from './quiet-hours';
import { WechatSubscribeClient } from './wechat-subscribe.client';

/** Tries of one WeChat message that WeChat did not take (rate limit, unreachable) before it is given up. */
const MAX_WECHAT_ATTEMPTS = 8;
const HOUR = 3600_000;
/** A claim older than this was made by a worker that died (a send times out after 5 s). */
const STALE_CLAIM_MS = 2 * 60_000;

const WECHAT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * Delivery, in the notification jobs. Exactly once per (event, recipient):
 *  - the inbox: `notification` has one row per (event, person), inserted in one statement
 *    by the expansion, which locks its event and marks it expanded in the same
 *    transaction, so a second expansion (two workers, a retried or re-queued job) adds
 *    nothing;
 *  - WeChat: each message is claimed (PENDING → SENDING, committed) before it is sent, so
 *    of two workers only one sends it, and a worker that dies mid-send leaves it claimed,
 *    never resent (the sweep marks it UNKNOWN). WeChat's refusals that mean "not sent"
 *    (45009, unreachable) put it back to PENDING for later.
 * Jobs carry only ids; the database is the truth, so a queue that lost its jobs (Redis
 * restarted without persistence) is made whole by the sweep.
 */
@Injectable()
export class NotificationDelivery {
  private readonly logger = new Logger(NotificationDelivery.name);
  /** The WeChat queue. */
  private readonly queue: Queue;
  /** The expansion jobs' queue. */
  private readonly expansions: Queue;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly repository: NotificationRepository,
    private readonly organisation: OrganisationRepository,
    private readonly wechat: WechatSubscribeClient,
    private readonly config: AppConfig,
    queues: JobQueues,
  ) {
    this.queue = queues.queue(NOTIFICATIONS_WECHAT_QUEUE);
    this.expansions = queues.queue(NOTIFICATIONS_QUEUE);
  }

  /**
   * An event for an audience named in full (a few residents or persons: points minted,
   * spent, refunded, a promotion), written and expanded in the feature's own transaction:
   * its inbox rows commit with the change they tell of, and no expansion job runs (most
   * events are these; a job each cost more than the change itself). Its WeChat messages,
   * if any, are queued after commit; if that is lost, the sweep finds them pending.
   */
  async expandWithin(
    m: EntityManager,
    event: { townshipId: string; kind: NotificationKind; key: string; audience: Audience; message: RenderedMessage; urgent: boolean },
  ): Promise<void> {
    const recipients = await this.organisation.notificationRecipients(m, event.townshipId, audienceQuery(event.audience));
    if (!recipients.length) return;
    const { templateConfigured, after } = this.wechatPlan(event.kind, event.urgent, new Date());
    const { eventId, pending } = await this.repository.insertExpandedEvent(m, event, recipients, { templateConfigured, after });
    if (eventId && pending.length) {
      const ids = pending.map((id) => BigInt(id)).sort((a, b) => (a < b ? -1 : 1));
      afterCommit(m, () => void this.queueWechat(eventId, ids, event.urgent, after.getTime()).catch((error: Error) => this.notQueued(eventId, error)));
    }
  }

  /** Queues an event's expansion; a failure is only logged: the sweep queues it again. */
  async queueExpansion(eventId: string, round?: number): Promise<void> {
    const data: ExpandJobData = { eventId };
    try {
      await this.expansions.add(NotificationJob.EXPAND, data, { ...RETRIED_JOB_OPTIONS, jobId: expandJobId(eventId, round) });
    } catch (error) {
      this.notQueued(eventId, error as Error);
    }
  }

  private notQueued(eventId: string, error: Error): void {
    this.logger.warn(`notification ${eventId} not queued (the sweep will): ${error.message}`);
  }

  /** Whether a kind's WeChat message may be sent at all, and from when (quiet hours hold back all but urgent ones). */
  private wechatPlan(kind: NotificationKind, urgent: boolean, now: Date): { templateConfigured: boolean; after: Date } {
    return {
      templateConfigured: this.wechat.configured && !!this.templateOf(kind),
      after: (!urgent && quietUntil(now, this.config.NOTIFY_QUIET_HOURS)) || now,
    };
  }

  /** The template id configured for a kind, if any. */
  templateOf(kind: NotificationKind): string | undefined {
    return (this.config as unknown as Record<string, string | undefined>)[TEMPLATE_VARIABLE[kind]];
  }

  /** The kinds sharing a template id (points minted, spent and refunded share one). */
  kindsOfTemplate(templateId: string): NotificationKind[] {
    return NOTIFICATION_KINDS.filter((k) => this.templateOf(k) === templateId);
  }

  /** Writes an event's inbox rows for its whole audience, then queues its WeChat batches. */
  async expand(eventId: string): Promise<{ recipients: number; wechat: number }> {
    const now = new Date();
    const result = await this.tx.run(async (m) => {
      const event = await this.repository.lockEvent(m, eventId);
      if (!event || event.expanded) return undefined;
      const recipients = await this.organisation.notificationRecipients(m, event.townshipId, audienceQuery(event.audience));
      const { templateConfigured, after } = this.wechatPlan(event.kind, event.urgent, now);
      const pending = await this.repository.expand(m, event, recipients, { templateConfigured, after });
      return { event, recipients: recipients.length, pending, after };
    });
    if (!result) return { recipients: 0, wechat: 0 };
    await this.queueWechat(
      result.event.id,
      result.pending.map((id) => BigInt(id)).sort((a, b) => (a < b ? -1 : 1)),
      result.event.urgent,
      result.after.getTime(),
    );
    return { recipients: result.recipients, wechat: result.pending.length };
  }

  /** One job per batch of WeChat messages, added in one round trip. */
  private async queueWechat(eventId: string, ids: bigint[], urgent: boolean, notBefore: number): Promise<void> {
    const jobs = [];
    for (let i = 0; i < ids.length; i += WECHAT_BATCH) {
      const batch = ids.slice(i, i + WECHAT_BATCH);
      jobs.push(this.wechatJob({ eventId, fromId: String(batch[0]), toId: String(batch[batch.length - 1]), urgent }, notBefore));
    }
    if (jobs.length) await this.queue.addBulk(jobs);
  }

  private wechatJob(data: WechatJobData, notBefore: number) {
    return {
      name: NotificationJob.WECHAT,
      data,
      opts: { ...WECHAT_JOB_OPTIONS, jobId: wechatJobId(data.eventId, data.fromId, data.toId, notBefore), delay: Math.max(0, notBefore - Date.now()) },
    };
  }

  /** Sends the due WeChat messages of one batch, one claim at a time. */
  async sendWechat(data: WechatJobData): Promise<{ sent: number; refused: number; failed: number; deferredUntil?: Date }> {
    const counts = { sent: 0, refused: 0, failed: 0 };
    if (!data.urgent) {
      const until = quietUntil(new Date(), this.config.NOTIFY_QUIET_HOURS);
      if (until) return { ...counts, deferredUntil: await this.defer(data, until) };
    }
    const rows = await this.tx.read((m) => this.repository.dueWechat(m, data.eventId, data.fromId, data.toId));
    if (!rows.length) return counts;
    const openids = await this.tx.read((m) => this.organisation.wechatOpenids(m, [...new Set(rows.map((r) => r.personId))]));
    for (const row of rows) {
      const attempt = await this.tx.read((m) => this.repository.claimWechat(m, row.id));
      if (attempt === null) continue; // another worker has it
      const openid = openids.get(row.personId);
      const templateId = this.templateOf(row.kind);
      if (!openid || !templateId) {
        await this.tx.read((m) => this.repository.finishWechat(m, row.id, 'NONE'));
        continue;
      }
      const result = await this.wechat.send({ openid, templateId, page: `pages/index/index?notification=${row.id}`, data: messageData(row) });
      switch (result.outcome) {
        case 'sent':
          counts.sent++;
          await this.tx.read((m) => this.repository.finishWechat(m, row.id, 'SENT'));
          break;
        case 'refused':
          // 43101: not subscribed (or the one-time acceptance is used up): the inbox has it.
          counts.refused++;
          await this.tx.run(async (m) => {
            await this.repository.finishWechat(m, row.id, 'REFUSED', '43101 user refuses to accept the msg');
            await this.repository.forgetWechat(m, row.personId, this.kindsOfTemplate(templateId));
          });
          break;
        case 'rate-limited':
        case 'unreachable': {
          const error = result.outcome === 'rate-limited' ? '45009 reach max api daily quota limit' : result.error;
          if (attempt >= MAX_WECHAT_ATTEMPTS) {
            counts.failed++;
            await this.tx.read((m) => this.repository.finishWechat(m, row.id, 'FAILED', error));
            break;
          }
          // WeChat took nothing: back off, this message and the rest of the batch.
          const until = new Date(Date.now() + Math.min(this.config.NOTIFY_WECHAT_BACKOFF_MS * 2 ** (attempt - 1), HOUR));
          await this.tx.read((m) => this.repository.retryWechatLater(m, row.id, until, error));
          this.logger.warn(`WeChat did not take notification ${row.id} (${error}): batch retried at ${until.toISOString()}`);
          return { ...counts, deferredUntil: await this.defer(data, until) };
        }
        case 'failed':
          counts.failed++;
          await this.tx.read((m) => this.repository.finishWechat(m, row.id, 'FAILED', result.error));
          break;
      }
    }
    return counts;
  }

  /** Holds the batch until `until` and queues it for then. */
  private async defer(data: WechatJobData, until: Date): Promise<Date> {
    await this.tx.read((m) => this.repository.deferWechat(m, data.eventId, data.fromId, data.toId, until));
    await this.queue.addBulk([this.wechatJob(data, until.getTime())]);
    return until;
  }

  /**
   * Re-queues what was left: events committed but never expanded (the process died before
   * queueing, the queue lost the job), WeChat messages overdue, and claims of dead workers.
   * Only work older than two sweeps, so it rarely races the normal path (and a race is
   * harmless: expansion and claims are idempotent).
   */
  async sweep(): Promise<{ events: number; wechatBatches: number; abandoned: number }> {
    const everyMs = this.config.NOTIFY_SWEEP_SECONDS * 1000;
    const overdueMs = Math.max(2000, 2 * everyMs);
    const round = Math.floor(Date.now() / everyMs);
    const events = await this.tx.read((m) => this.repository.unexpandedEvents(m, overdueMs, 1000));
    for (const eventId of events) await this.queueExpansion(eventId, round);
    const ranges = await this.tx.read((m) => this.repository.overdueWechatRanges(m, overdueMs, WECHAT_BATCH, 20_000));
    if (ranges.length) await this.queue.addBulk(ranges.map((r) => this.wechatJob(r, round * everyMs)));
    const abandoned = await this.tx.read((m) => this.repository.abandonStaleClaims(m, STALE_CLAIM_MS));
    if (events.length || ranges.length || abandoned) {
      this.logger.log(`notification sweep: ${events.length} event(s) and ${ranges.length} WeChat batch(es) re-queued, ${abandoned} stale claim(s)`);
    }
    return { events: events.length, wechatBatches: ranges.length, abandoned };
  }
}

function audienceQuery(audience: Audience) {
  if ('residents' in audience) return { residents: audience.residents };
  if ('persons' in audience) return { persons: audience.persons };
  if ('branchResidents' in audience) return { branchResidents: audience.branchResidents };
  return { townshipAdmins: true };
}

const shanghaiMinute = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

/** A subscription template's fields: thing1 标题, thing2 内容 (at most 20 characters each), time3 时间. */
function messageData(row: DueWechatRow): Record<string, { value: string }> {
  const cut = (s: string) => (Array.from(s).length > 20 ? Array.from(s).slice(0, 19).join('') + '…' : s);
  return {
    thing1: { value: cut(row.title) },
    thing2: { value: cut(row.body) },
    time3: { value: shanghaiMinute.format(row.createdAt) },
  };
}
