import { Job } from 'bullmq';

/** A feature's processing of one queue's jobs; JobWorkers runs one BullMQ Worker per handler. */
export interface JobHandler {
  readonly queue: string;
  /** Every job name the handler processes; a job with another name fails without retries. */
  readonly jobNames: readonly string[];
  process(job: Job): Promise<unknown>;
  /** Called once a job has failed for good (retries exhausted or unrecoverable). */
  failedForGood?(job: Job, error: Error): Promise<void>;
}

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');
