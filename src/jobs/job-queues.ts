import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { QueueDepthSource, queueDepthSources } from '../observability/metrics';
import { FlowProducer, Queue } from 'bullmq';
import { QueueConnection } from './queue-connection';
import { SETTLEMENT_QUEUE, THEMES_QUEUE } from './job.constants';

/**
 * The producers: what services use to enqueue work (always after their transaction
 * has committed). Present in every process; the workers are separate (JobWorkers).
 */
@Injectable()
export class JobQueues implements OnApplicationShutdown {
  readonly themes: Queue;
  readonly settlement: Queue;
  readonly flows: FlowProducer;

  /** Counts jobs by state for the `cb_queue_jobs` gauge, read when Prometheus scrapes. */
  private readonly depth: QueueDepthSource = async () => {
    const rows = [];
    for (const queue of [this.themes, this.settlement]) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'waiting-children');
      for (const [state, count] of Object.entries(counts)) rows.push({ queue: queue.name, state, count });
    }
    return rows;
  };

  constructor(readonly connection: QueueConnection) {
    this.themes = connection.queue(THEMES_QUEUE);
    this.settlement = connection.queue(SETTLEMENT_QUEUE);
    this.flows = connection.flowProducer();
    queueDepthSources.add(this.depth);
  }

  async onApplicationShutdown(): Promise<void> {
    queueDepthSources.delete(this.depth);
    await Promise.all([this.themes.close(), this.settlement.close(), this.flows.close()]);
  }
}
