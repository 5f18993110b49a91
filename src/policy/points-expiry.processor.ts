import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { JobHandler, JobProcessor } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { ExpireTownshipData, POINTS_EXPIRY_PATTERN, POINTS_EXPIRY_QUEUE, POINTS_EXPIRY_SCHEDULER_ID, PointsExpiryJob } from './points-expiry.jobs';
import { PointsExpiryService } from './points-expiry.service';

/** Runs the yearly resets: the daily check's fan-out and each township's reset. */
@Injectable()
@JobProcessor()
export class PointsExpiryProcessor implements JobHandler {
  readonly queue = POINTS_EXPIRY_QUEUE;
  readonly jobNames = [PointsExpiryJob.EXPIRE_DUE, PointsExpiryJob.EXPIRE_TOWNSHIP];
  private readonly logger = new Logger(PointsExpiryProcessor.name);

  constructor(
    private readonly expiry: PointsExpiryService,
    private readonly queues: JobQueues,
  ) {}

  /** The daily check, upserted by a fixed id (a worker that was down catches up the next day: the cut-off stays due). */
  async registerSchedules(): Promise<void> {
    await this.queues.queue(POINTS_EXPIRY_QUEUE).upsertJobScheduler(
      POINTS_EXPIRY_SCHEDULER_ID,
      { pattern: POINTS_EXPIRY_PATTERN, tz: 'Asia/Shanghai' },
      { name: PointsExpiryJob.EXPIRE_DUE, data: {}, opts: { attempts: 5, backoff: { type: 'exponential', delay: 5000 } } },
    );
  }

  async process(job: Job): Promise<unknown> {
    if (job.name === PointsExpiryJob.EXPIRE_DUE) {
      const due = await this.expiry.dueTownships();
      for (const d of due) await this.expiry.enqueue(d);
      if (due.length) this.logger.log(`points expiry: queued for ${due.length} township(s)`);
      return { queued: due.length };
    }
    const { townshipId, cutoffDate } = job.data as ExpireTownshipData;
    if (!(await this.expiry.stillDue(townshipId, cutoffDate))) {
      this.logger.log(`points expiry of township ${townshipId} at ${cutoffDate}: no longer the township's policy, skipped`);
      return { townshipId, cutoffDate, skipped: true };
    }
    const run = await this.expiry.expireTownship(townshipId, cutoffDate);
    return { townshipId, cutoffDate, residents: run.residents, points: run.points };
  }
}
