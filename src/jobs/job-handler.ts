import { DiscoveryService } from '@nestjs/core';
import { Job } from 'bullmq';

/**
 * A feature's processing of one queue's jobs. The feature declares its queue, job names,
 * job ids and schedules in its own folder and marks the handler with `@JobProcessor()`;
 * JobWorkers finds it and runs one BullMQ Worker per handler.
 *
 * Job ids are deterministic: an id names the work it does (township, month, branch, run),
 * so adding the same work twice while it is queued, running or kept after completion adds
 * nothing; the database's unique keys remain the final guard. BullMQ forbids ':' in
 * custom ids; '.' separates the parts.
 */
export interface JobHandler {
  readonly queue: string;
  /** Every job name the handler processes; a job with another name fails without retries. */
  readonly jobNames: readonly string[];
  process(job: Job): Promise<unknown>;
  /** Called once a job has failed for good (retries exhausted or unrecoverable). */
  failedForGood?(job: Job, error: Error): Promise<void>;
  /**
   * Upserts the queue's repeatable schedules (by fixed ids, so any number of processes
   * leave one). Called when the workers start and whenever the queue's connection is
   * ready again (a Redis restarted without persistence comes back empty).
   */
  registerSchedules?(): Promise<void>;
}

/** Marks a provider implementing JobHandler; JobWorkers discovers it in every imported module. */
export const JobProcessor = DiscoveryService.createDecorator<void>();

/** Retries of a feature's job: a transient failure (a database restart) must not lose a month's work. */
export const RETRIED_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 40 * 24 * 3600 },
  removeOnFail: { age: 40 * 24 * 3600 },
};
