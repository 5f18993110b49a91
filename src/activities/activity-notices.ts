import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { NotificationKind } from '../notifications/notification.kinds';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { Activity } from './activity.entity';

/**
 * Tells residents promoted from the waitlist (urgent: it skips quiet hours), in the
 * transaction that promoted them. The key only has to be unique: the event is written by
 * the promotion itself, so nothing replays it.
 */
export function notifyPromoted(
  outbox: NotificationOutbox,
  m: EntityManager,
  activity: Pick<Activity, 'id' | 'townshipId' | 'title' | 'startsAt'>,
  residents: string[],
): Promise<void> {
  return outbox.emit(m, {
    townshipId: activity.townshipId,
    to: { residents },
    key: `promoted:${activity.id}:${randomUUID()}`,
    facts: { kind: NotificationKind.WAITLIST_PROMOTED, activityId: activity.id, title: activity.title, startsAt: activity.startsAt },
  });
}
