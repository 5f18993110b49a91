import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { JobQueues } from './job-queues';
import { JobHandler, JobProcessor } from './job-handler';
import { QueueConnection } from './queue-connection';
import { jobDuration, jobFailures } from '../observability/metrics';

/**
 * Runs the workers of every queue in this process and registers their schedules.
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
    private readonly discovery: DiscoveryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.handlers();
    for (const handler of handlers) {
      if (!handler.registerSchedules) continue;
      await handler.registerSchedules();
      // A Redis restarted without persistence comes back empty, schedules included: put them
      // back whenever the connection is ready again (the upsert changes nothing otherwise).
      this.queues
        .queue(handler.queue)
        .getBackend()
        .on('ready', () => {
          handler.registerSchedules!().catch((e) => this.logger.warn(`re-registering the schedules of ${handler.queue}: ${e}`));
        });
    }
    for (const handler of handlers) this.workers.push(this.start(handler));
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.logger.log(`workers running on ${this.connection.describe()}: ${handlers.map((h) => h.queue).join(', ')}`);
  }

  /** Every `@JobProcessor()` provider of the process's modules; one per queue. */
  private handlers(): JobHandler[] {
    const handlers = [...new Set(this.discovery.getProviders({ metadataKey: JobProcessor.KEY }).map((w) => w.instance as JobHandler))];
    const queues = handlers.map((h) => h.queue);
    const twice = queues.find((q, i) => queues.indexOf(q) !== i);
    if (twice) throw new Error(`two job processors for the queue ${twice}`);
    return handlers.sort((a, b) => a.queue.localeCompare(b.queue));
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
