import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { JobQueues } from './job-queues';
import { JOB_HANDLERS, JobHandler } from './job-handler';
import { THEME_PUBLISH_SCHEDULER_ID, ThemeJob } from './job.constants';
import { QueueConnection } from './queue-connection';
import { jobDuration, jobFailures } from '../observability/metrics';

/** The cron pattern (Asia/Shanghai) of the monthly publication: `HH:MM` on the 1st. */
export function themePublishPattern(time: string): string {
  const [hours, minutes] = time.split(':').map(Number);
  return `${minutes} ${hours} 1 * *`;
}

/**
 * Runs the workers of every queue in this process and registers the monthly scheduler.
 * Started by the API (WORKERS_IN_PROCESS) or by the worker process (`start:worker`).
 * On shutdown the workers stop taking jobs and wait for the ones in flight.
 */
@Injectable()
export class JobWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobWorkers.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly connection: QueueConnection,
    private readonly queues: JobQueues,
    @Inject(JOB_HANDLERS) private readonly handlers: JobHandler[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.registerSchedule();
    // A Redis restarted without persistence comes back empty, schedule included: put it
    // back whenever the connection is ready again (the upsert changes nothing otherwise).
    this.queues.themes.getBackend().on('ready', () => {
      this.registerSchedule().catch((e) => this.logger.warn(`re-registering the monthly schedule: ${e}`));
    });
    for (const handler of this.handlers) this.workers.push(this.start(handler));
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.logger.log(`workers running on ${this.connection.describe()}: ${this.handlers.map((h) => h.queue).join(', ')}`);
  }

  /**
   * Upserting by a fixed id: starting any number of processes, any number of times,
   * leaves exactly one schedule.
   */
  private async registerSchedule(): Promise<void> {
    await this.queues.themes.upsertJobScheduler(
      THEME_PUBLISH_SCHEDULER_ID,
      { pattern: themePublishPattern(this.config.THEME_PUBLISH_TIME), tz: 'Asia/Shanghai' },
      { name: ThemeJob.PUBLISH_DUE, data: {}, opts: { attempts: 5, backoff: { type: 'exponential', delay: 5000 } } },
    );
  }

  private start(handler: JobHandler): Worker {
    const worker = this.connection.worker(
      handler.queue,
      async (job: Job) => {
        if (!handler.jobNames.includes(job.name)) throw new UnrecoverableError(`no handler for job ${job.name} on ${handler.queue}`);
        return handler.process(job);
      },
      {
        concurrency: this.config.WORKER_CONCURRENCY,
        // A worker that dies holding a job loses its lock after this long; another
        // worker's stalled check then puts the job back in the queue.
        lockDuration: this.config.JOB_LOCK_MS,
        stalledInterval: this.config.JOB_LOCK_MS,
        maxStalledCount: 3,
      },
    );
    worker.on('completed', (job) => observeJob(handler.queue, 'completed', job));
    worker.on('failed', (job, error) => {
      jobFailures.inc({ queue: handler.queue });
      if (!job) return;
      observeJob(handler.queue, 'failed', job);
      this.logger.warn(`job ${handler.queue}/${job.name} ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`);
      void (async () => {
        if ((await job.getState()) === 'failed') await handler.failedForGood?.(job, error);
      })().catch((e) => this.logger.error(`failure handler of job ${job.id}: ${e}`));
    });
    worker.on('error', (error) => this.logger.error(`worker ${handler.queue}: ${error.message}`));
    return worker;
  }

  async onModuleDestroy(): Promise<void> {
    // close() waits for jobs in flight to finish (they commit or roll back whole).
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

function observeJob(queue: string, outcome: 'completed' | 'failed', job: Job): void {
  if (job.processedOn && job.finishedOn) jobDuration.observe({ queue, outcome }, (job.finishedOn - job.processedOn) / 1000);
}
