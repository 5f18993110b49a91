import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { monthOf } from '../common/time/shanghai-month';
import { AppConfig } from '../config/app-config';
import { JobHandler, JobProcessor } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { PublishTownshipData, THEME_PUBLISH_SCHEDULER_ID, themePublishPattern, THEMES_QUEUE, ThemeJob } from './theme.jobs';
import { ThemeService } from './theme.service';

/** Runs the monthly publication: the scheduler's fan-out and each township's publication. */
@Injectable()
@JobProcessor()
export class ThemePublicationProcessor implements JobHandler {
  readonly queue = THEMES_QUEUE;
  readonly jobNames = [ThemeJob.PUBLISH_DUE, ThemeJob.PUBLISH_TOWNSHIP];
  private readonly logger = new Logger(ThemePublicationProcessor.name);

  constructor(
    private readonly themes: ThemeService,
    private readonly queues: JobQueues,
    private readonly config: AppConfig,
  ) {}

  /** The monthly publication on the 1st, upserted by a fixed id. */
  async registerSchedules(): Promise<void> {
    await this.queues.queue(THEMES_QUEUE).upsertJobScheduler(
      THEME_PUBLISH_SCHEDULER_ID,
      { pattern: themePublishPattern(this.config.THEME_PUBLISH_TIME), tz: 'Asia/Shanghai' },
      { name: ThemeJob.PUBLISH_DUE, data: {}, opts: { attempts: 5, backoff: { type: 'exponential', delay: 5000 } } },
    );
  }

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
