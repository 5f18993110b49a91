import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { afterCommit } from '../database/transaction.runner';
import { Audience, NotificationFacts, render, URGENT_KINDS } from './notification.kinds';
import { NotificationDelivery } from './notification-delivery.service';
import { NotificationRepository } from './notification.repository';

/** Audiences named in full up to this size are expanded in the feature's transaction (NotificationDelivery.expandWithin). */
const EXPAND_WITHIN_AT_MOST = 50;

/**
 * The transactional outbox: what features call, with their transaction's EntityManager,
 * to tell people about a change they are making. For a few named residents or persons
 * (most events) it writes the event and its inbox rows in the transaction, in one
 * statement. For a whole village or the township's admins it adds one INSERT (one row
 * for the whole audience: the recipients are found by the delivery job) and, once the
 * transaction commits, queues the job that delivers it. A crash between the commit and
 * the queueing loses nothing: the sweep finds events no job expanded, and WeChat
 * messages no job sent. A rollback leaves nothing to deliver.
 *
 * `key` names the event among its kind in the township (e.g. the enrolment it charged):
 * a second emit with the same key adds nothing.
 */
@Injectable()
export class NotificationOutbox {
  constructor(
    private readonly repository: NotificationRepository,
    private readonly delivery: NotificationDelivery,
  ) {}

  async emit(m: EntityManager, event: { townshipId: string; to: Audience; key: string; facts: NotificationFacts }): Promise<void> {
    if (isEmpty(event.to)) return;
    const row = {
      townshipId: event.townshipId,
      kind: event.facts.kind,
      key: event.key,
      audience: event.to,
      message: render(event.facts),
      urgent: URGENT_KINDS.has(event.facts.kind),
    };
    if (namedCount(event.to) <= EXPAND_WITHIN_AT_MOST) return this.delivery.expandWithin(m, row);
    const id = await this.repository.insertEvent(m, row);
    if (id) afterCommit(m, () => void this.delivery.queueExpansion(id));
  }
}

/** How many the audience names one by one (Infinity for a village or the township's admins). */
function namedCount(to: Audience): number {
  if ('residents' in to) return to.residents.length;
  if ('persons' in to) return to.persons.length;
  return Infinity;
}

function isEmpty(to: Audience): boolean {
  return namedCount(to) === 0;
}
