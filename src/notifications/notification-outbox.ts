import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { EntityManager } from 'typeorm';
import { afterCommit } from '../database/transaction.runner';
import { JobQueues } from '../jobs/job-queues';
import { RETRIED_JOB_OPTIONS } from '../jobs/job-handler';
import { Audience, NotificationFacts, render, URGENT_KINDS } from './notification.kinds';
import { ExpandJobData, expandJobId, NOTIFICATIONS_QUEUE, NotificationJob } from './notification.jobs';
import { NotificationRepository } from './notification.repository';

/**
 * The transactional outbox: what features call, with their transaction's EntityManager,
 * to tell people about a change they are making. It adds one INSERT to the transaction
 * (one row for the whole audience: the recipients are found by the delivery job) and,
 * once the transaction commits, queues the job that delivers it. A crash between the
 * commit and the queueing loses nothing: the sweep finds events no job expanded. A
 * rollback leaves nothing to deliver.
 *
 * `key` names the event among its kind in the township (e.g. the enrolment it charged):
 * a second emit with the same key adds nothing.
 */
@Injectable()
export class NotificationOutbox {
  private readonly logger = new Logger(NotificationOutbox.name);
  private readonly queue: Queue;

  constructor(
    private readonly repository: NotificationRepository,
    queues: JobQueues,
  ) {
    this.queue = queues.queue(NOTIFICATIONS_QUEUE);
  }

  async emit(m: EntityManager, event: { townshipId: string; to: Audience; key: string; facts: NotificationFacts }): Promise<void> {
    if (isEmpty(event.to)) return;
    const id = await this.repository.insertEvent(m, {
      townshipId: event.townshipId,
      kind: event.facts.kind,
      key: event.key,
      audience: event.to,
      message: render(event.facts),
      urgent: URGENT_KINDS.has(event.facts.kind),
    });
    if (id) afterCommit(m, () => void this.queueExpansion(id));
  }

  /** Queues an event's expansion; a failure is only logged: the sweep queues it again. */
  async queueExpansion(eventId: string, round?: number): Promise<void> {
    const data: ExpandJobData = { eventId };
    try {
      await this.queue.add(NotificationJob.EXPAND, data, { ...RETRIED_JOB_OPTIONS, jobId: expandJobId(eventId, round) });
    } catch (error) {
      this.logger.warn(`notification ${eventId} not queued (the sweep will): ${(error as Error).message}`);
    }
  }
}

function isEmpty(to: Audience): boolean {
  if ('residents' in to) return to.residents.length === 0;
  if ('persons' in to) return to.persons.length === 0;
  return false;
}
