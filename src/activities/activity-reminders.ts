import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { EntityManager } from 'typeorm';
import { afterCommit } from '../database/transaction.runner';
import { JobQueues } from '../jobs/job-queues';
import { ACTIVITY_REMINDERS_QUEUE, ActivityReminderJob, REMINDER_LEAD_MS, reminderJobId, RemindJobData } from './activity-reminder.jobs';

/**
 * The day-before reminder of an activity: a BullMQ delayed job, one per published
 * activity (not one per sign-up: a sign-up storm adds no queue traffic), with a
 * deterministic id from the activity and its start. Added when the activity is
 * published, moved when its start changes, removed when it is cancelled; all after the
 * transaction commits. When it fires it reminds whoever holds a confirmed place then, so
 * a resident who cancelled their sign-up is not reminded and one promoted from the
 * waitlist is. Each change is re-checked when it fires (a removal lost with a crash
 * reminds nobody of a cancelled activity).
 */
@Injectable()
export class ActivityReminders {
  private readonly logger = new Logger(ActivityReminders.name);
  private readonly queue: Queue;

  constructor(queues: JobQueues) {
    this.queue = queues.queue(ACTIVITY_REMINDERS_QUEUE);
  }

  /** After commit: the reminder of `activity`, unless its start is less than a day away. */
  scheduleAfterCommit(m: EntityManager, activity: { id: string; startsAt: Date }): void {
    afterCommit(m, () => void this.schedule(activity));
  }

  /** After commit: no reminder for the start `startsAt` (cancelled, or the start moved). */
  removeAfterCommit(m: EntityManager, activity: { id: string; startsAt: Date }): void {
    afterCommit(m, () => void this.remove(activity));
  }

  async schedule(activity: { id: string; startsAt: Date }): Promise<void> {
    const delay = activity.startsAt.getTime() - REMINDER_LEAD_MS - Date.now();
    if (delay <= 0) return;
    const data: RemindJobData = { activityId: activity.id, startsAt: activity.startsAt.getTime() };
    await this.queue
      .add(ActivityReminderJob.REMIND, data, {
        jobId: reminderJobId(activity.id, activity.startsAt),
        delay,
        attempts: 5,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      })
      .catch((e) => this.logger.warn(`reminder of activity ${activity.id} not scheduled: ${e}`));
  }

  async remove(activity: { id: string; startsAt: Date }): Promise<void> {
    await this.queue.remove(reminderJobId(activity.id, activity.startsAt)).catch((e) => this.logger.warn(`reminder of activity ${activity.id} not removed: ${e}`));
  }
}
