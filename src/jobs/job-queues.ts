import { Injectable, OnApplicationShutdown } from '@nestjs/common';
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

  constructor(readonly connection: QueueConnection) {
    this.themes = connection.queue(THEMES_QUEUE);
    this.settlement = connection.queue(SETTLEMENT_QUEUE);
    this.flows = connection.flowProducer();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.themes.close(), this.settlement.close(), this.flows.close()]);
  }
}
