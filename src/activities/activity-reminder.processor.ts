import { Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
import { TransactionRunner } from '../database/transaction.runner';
import { JobHandler, JobProcessor } from '../jobs/job-handler';
import { NotificationKind } from '../notifications/notification.kinds';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { ActivityStatus } from './activity.entity';
import { ACTIVITY_REMINDERS_QUEUE, ActivityReminderJob, RemindJobData } from './activity-reminder.jobs';
import { ActivityRepository } from './activity.repository';
import { SignupRepository } from './signup.repository';

/** Fires an activity's day-before reminder: one outbox event for everyone holding a place. */
@Injectable()
@JobProcessor()
export class ActivityReminderProcessor implements JobHandler {
  readonly queue = ACTIVITY_REMINDERS_QUEUE;
  readonly jobNames = [ActivityReminderJob.REMIND];

  constructor(
    private readonly tx: TransactionRunner,
    private readonly activities: ActivityRepository,
    private readonly signups: SignupRepository,
    private readonly outbox: NotificationOutbox,
  ) {}

  async process(job: Job): Promise<unknown> {
    const { activityId, startsAt } = job.data as RemindJobData;
    return this.tx.run(async (m) => {
      const activity = await this.activities.get(m, activityId);
      // Cancelled, completed, or moved since (the moved start has its own reminder).
      if (activity.status !== ActivityStatus.PUBLISHED || activity.startsAt.getTime() !== startsAt) return { reminded: 0 };
      const residents = await this.signups.confirmedResidentIds(m, activityId);
      await this.outbox.emit(m, {
        townshipId: activity.townshipId,
        to: { residents },
        key: `reminder:${activityId}:${startsAt}`,
        facts: { kind: NotificationKind.ACTIVITY_REMINDER, activityId, title: activity.title, startsAt: activity.startsAt, place: activity.place },
      });
      return { reminded: residents.length };
    });
  }
}
