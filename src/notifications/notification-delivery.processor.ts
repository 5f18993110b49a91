import { Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { JobHandler, JobProcessor } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { ExpandJobData, NOTIFICATION_SWEEP_SCHEDULER_ID, NOTIFICATIONS_QUEUE, NOTIFICATIONS_WECHAT_QUEUE, NotificationJob, WechatJobData } from './notification.jobs';
import { NotificationDelivery } from './notification-delivery.service';

/** Runs the notification jobs: expansion of outbox events, and the sweep. */
@Injectable()
@JobProcessor()
export class NotificationDeliveryProcessor implements JobHandler {
  readonly queue = NOTIFICATIONS_QUEUE;
  readonly jobNames = [NotificationJob.EXPAND, NotificationJob.SWEEP];

  constructor(
    private readonly delivery: NotificationDelivery,
    private readonly queues: JobQueues,
    private readonly config: AppConfig,
  ) {}

  /** The sweep, upserted by a fixed id (once however many processes start). */
  async registerSchedules(): Promise<void> {
    await this.queues.queue(NOTIFICATIONS_QUEUE).upsertJobScheduler(
      NOTIFICATION_SWEEP_SCHEDULER_ID,
      { every: this.config.NOTIFY_SWEEP_SECONDS * 1000 },
      // An hour of sweeps is kept; the database, not retained job ids, guards against doing a thing twice.
      { name: NotificationJob.SWEEP, data: {}, opts: { removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } } },
    );
  }

  async process(job: Job): Promise<unknown> {
    if (job.name === NotificationJob.EXPAND) return this.delivery.expand((job.data as ExpandJobData).eventId);
    return this.delivery.sweep();
  }
}

/** Sends WeChat subscription messages, one batch per job, on a queue of their own. */
@Injectable()
@JobProcessor()
export class WechatDeliveryProcessor implements JobHandler {
  readonly queue = NOTIFICATIONS_WECHAT_QUEUE;
  readonly jobNames = [NotificationJob.WECHAT];

  constructor(private readonly delivery: NotificationDelivery) {}

  async process(job: Job): Promise<unknown> {
    return this.delivery.sendWechat(job.data as WechatJobData);
  }
}
