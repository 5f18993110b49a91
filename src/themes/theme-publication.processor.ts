import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { monthOf } from '../common/time/shanghai-month';
import { JobHandler } from '../jobs/job-handler';
import { PublishTownshipData, THEMES_QUEUE, ThemeJob } from '../jobs/job.constants';
import { ThemeService } from './theme.service';

/** Runs the monthly publication: the scheduler's fan-out and each township's publication. */
@Injectable()
export class ThemePublicationProcessor implements JobHandler {
  readonly queue = THEMES_QUEUE;
  readonly jobNames = [ThemeJob.PUBLISH_DUE, ThemeJob.PUBLISH_TOWNSHIP];
  private readonly logger = new Logger(ThemePublicationProcessor.name);

  constructor(private readonly themes: ThemeService) {}

  async process(job: Job): Promise<unknown> {
    if (job.name === ThemeJob.PUBLISH_DUE) {
      // The month the run was scheduled in (a worker that was down catches up late
      // but still publishes the month that was due).
      const month = monthOf(new Date(job.timestamp + (job.opts.delay ?? 0)));
      let queued = 0;
      for (const t of await this.themes.townshipsToPublish(month)) {
        if (t.published < t.total) {
          await this.themes.enqueuePublication(t.townshipId, month, t.published, null);
          queued++;
        }
      }
      this.logger.log(`theme lists of ${month}: publication queued for ${queued} township(s)`);
      return { month, queued };
    }
    const { townshipId, month, requestedBy } = job.data as PublishTownshipData;
    const published = await this.themes.publishTownship(townshipId, month, requestedBy);
    return { townshipId, month, published };
  }
}
