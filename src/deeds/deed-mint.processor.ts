import { Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
import { JobHandler, JobProcessor } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { DEED_SWEEP_EVERY_MS, DEED_SWEEP_SCHEDULER_ID, DeedJob, DEEDS_QUEUE, MintDeedData } from './deed.jobs';
import { DeedService } from './deed.service';

/**
 * Mints a good deed's points when its notice window closes (the delayed MINT job queued at
 * approval), and every few minutes sweeps for closed windows whose job was lost or failed.
 * Exactly once however many workers, retries or sweeps: the job id names the report and
 * round, the report's row lock orders the mint against a recheck, and the ledger's
 * idempotency key `good_deed:<reportId>` makes a second run return the first entry.
 */
@Injectable()
@JobProcessor()
export class DeedMintProcessor implements JobHandler {
  readonly queue = DEEDS_QUEUE;
  readonly jobNames = [DeedJob.MINT, DeedJob.SWEEP];

  constructor(
    private readonly deeds: DeedService,
    private readonly queues: JobQueues,
  ) {}

  async registerSchedules(): Promise<void> {
    await this.queues
      .queue(DEEDS_QUEUE)
      .upsertJobScheduler(DEED_SWEEP_SCHEDULER_ID, { every: DEED_SWEEP_EVERY_MS }, { name: DeedJob.SWEEP, data: {}, opts: { attempts: 1 } });
  }

  async process(job: Job): Promise<unknown> {
    if (job.name === DeedJob.SWEEP) return this.deeds.sweep();
    return this.deeds.mint(job.data as MintDeedData);
  }
}
