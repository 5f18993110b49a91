import { Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { JobHandler, JobProcessor } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { ExpandJobData, NOTIFICATION_SWEEP_SCHEDULER_ID, NOTIFICATIONS_QUEUE, NotificationJob, WechatJobData } from './notification.jobs';
import { NotificationDelivery } from './notification-delivery.service';

/** Runs the notification jobs: expansion of outbox events, WeChat batches, and the sweep. */
@Injectable()
@JobProcessor()
export class NotificationDeliveryProcessor implements JobHandler {
  readonly queue = NOTIFICATIONS_QUEUE;
  readonly jobNames = [NotificationJob.EXPAND, NotificationJob.WECHAT, NotificationJob.SWEEP];

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
      { name: NotificationJob.SWEEP, data: {}, opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 50 } } },
    );
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case NotificationJob.EXPAND:
        return this.delivery.expand((job.data as ExpandJobData).eventId);
      case NotificationJob.WECHAT:
        return this.delivery.sendWechat(job.data as WechatJobData);
      default:
        return this.delivery.sweep();
    }
  }
}
