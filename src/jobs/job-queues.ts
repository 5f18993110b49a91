import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { QueueDepthSource, queueDepthSources } from '../observability/metrics';
import { FlowProducer, Queue } from 'bullmq';
import { QueueConnection } from './queue-connection';

/**
 * The producers: what services use to enqueue work (always after their transaction
 * has committed). Present in every process; the workers are separate (JobWorkers).
 * Each feature asks for its own queue by name; one Queue per name per process.
 */
@Injectable()
export class JobQueues implements OnApplicationShutdown {
  private readonly logger = new Logger(JobQueues.name);
  private readonly queues = new Map<string, Queue>();
  readonly flows: FlowProducer;
  /** When a connection error was last logged: one line a minute during an outage, not one per retry. */
  private lastErrorLogged = 0;

  /** Counts jobs by state for the `cb_queue_jobs` gauge, read when Prometheus scrapes. */
  private readonly depth: QueueDepthSource = async () => {
    const rows = [];
    for (const queue of this.all()) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'waiting-children');
      for (const [state, count] of Object.entries(counts)) rows.push({ queue: queue.name, state, count });
    }
    return rows;
  };

  constructor(readonly connection: QueueConnection) {
    this.flows = connection.flowProducer();
    // Without a listener BullMQ prints every connection error with console.error (a flood on
    // stderr while Redis is down); readiness reports the outage, this notes it once a minute.
    this.flows.on('error', this.connectionError);
    queueDepthSources.add(this.depth);
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      this.queues.set(name, (queue = this.connection.queue(name)));
      queue.on('error', this.connectionError);
    }
    return queue;
  }

  private readonly connectionError = (error: Error) => {
    if (Date.now() - this.lastErrorLogged < 60_000) return;
    this.lastErrorLogged = Date.now();
    this.logger.warn(`queue connection: ${error.message} (/health/ready reports it; logged once a minute)`);
  };

  /** Every queue a feature of this process has asked for, by name. */
  all(): Queue[] {
    return [...this.queues.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async onApplicationShutdown(): Promise<void> {
    queueDepthSources.delete(this.depth);
    await Promise.all([...this.all().map((q) => q.close()), this.flows.close()]);
  }
}
