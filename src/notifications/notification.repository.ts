import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Audience, NotificationKind, RenderedMessage } from './notification.kinds';

/** An outbox row as the delivery job reads it. */
export interface NotificationEventRow {
  id: string;
  townshipId: string;
  kind: NotificationKind;
  audience: Audience;
  urgent: boolean;
  expanded: boolean;
}

/** A notification whose WeChat message is due. */
export interface DueWechatRow {
  id: string;
  personId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  createdAt: Date;
}

/** An inbox entry. */
export interface InboxRow {
  id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  data: RenderedMessage['data'];
  createdAt: Date;
  readAt: Date | null;
}

export interface SettingRow {
  mutedKinds: NotificationKind[];
  wechatKinds: NotificationKind[];
}

const INBOX_COLUMNS = `n.id::text AS id, n.kind, e.title, e.body, e.data, n.created_at AS "createdAt", n.read_at AS "readAt"`;

type Recipient = { personId: string; bound: boolean };
type WechatPlan = { templateConfigured: boolean; after: Date };
/** A row of INBOX_ROWS: the event, and one inbox row (none when nobody was written). */
type WrittenRow = { eventId: string; id: string | null; pending: boolean | null };

/**
 * The inbox rows of the event that the statement's first CTE `e` yields: one per recipient
 * (one statement for the whole audience), muted where the recipient turned the kind off,
 * its WeChat message PENDING where they bound WeChat, accepted the kind's template and the
 * template is configured. Parameters $1–$6 are `inboxParams`; the event's own follow.
 */
const INBOX_ROWS = `
  r AS (
    SELECT r.person_id, r.bound, coalesce($2 = ANY(s.muted_kinds), false) AS muted, coalesce($2 = ANY(s.wechat_kinds), false) AS accepted
    FROM unnest($3::uuid[], $4::bool[]) AS r(person_id, bound) LEFT JOIN notification_setting s ON s.person_id = r.person_id
  ), n AS (
    INSERT INTO notification (event_id, township_id, person_id, kind, muted, wechat_status, wechat_after)
    SELECT e.id, $1, r.person_id, $2, r.muted, CASE WHEN $5 AND r.bound AND r.accepted AND NOT r.muted THEN 'PENDING' ELSE 'NONE' END, $6
    FROM e CROSS JOIN r ORDER BY r.person_id
    ON CONFLICT (event_id, person_id) DO NOTHING
    RETURNING id, wechat_status = 'PENDING' AS pending
  )
  SELECT e.id::text AS "eventId", n.id::text AS id, n.pending FROM e LEFT JOIN n ON true`;

const inboxParams = (townshipId: string, kind: NotificationKind, recipients: Recipient[], wechat: WechatPlan) => [
  townshipId,
  kind,
  recipients.map((r) => r.personId),
  recipients.map((r) => r.bound),
  wechat.templateConfigured,
  wechat.after,
];

const pendingIds = (rows: WrittenRow[]) => rows.filter((r) => r.pending).map((r) => r.id!);

/** Every statement on the notification tables (the outbox, the inbox, the settings). */
@Injectable()
export class NotificationRepository {
  // ---- the outbox ---------------------------------------------------------------

  /** The outbox insert a feature's transaction makes: one row, however many are told. Null when the key was used. */
  async insertEvent(
    m: EntityManager,
    e: { townshipId: string; kind: NotificationKind; key: string; audience: Audience; message: RenderedMessage; urgent: boolean },
  ): Promise<string | null> {
    const [row] = await m.query(
      `INSERT INTO notification_event (township_id, kind, event_key, audience, title, body, data, urgent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (township_id, kind, event_key) DO NOTHING RETURNING id::text AS id`,
      [e.townshipId, e.kind, e.key, JSON.stringify(e.audience), e.message.title, e.message.body, JSON.stringify(e.message.data), e.urgent],
    );
    return row?.id ?? null;
  }

  /**
   * The outbox insert and its expansion in one statement, for an audience named in full
   * (see NotificationDelivery.expandWithin): the event, already marked expanded, and its
   * inbox rows (INBOX_ROWS). Nothing when the key was used. Returns the event id and the
   * ids whose WeChat message is pending.
   */
  async insertExpandedEvent(
    m: EntityManager,
    e: { townshipId: string; kind: NotificationKind; key: string; audience: Audience; message: RenderedMessage; urgent: boolean },
    recipients: Recipient[],
    wechat: WechatPlan,
  ): Promise<{ eventId: string | null; pending: string[] }> {
    const rows: WrittenRow[] = await m.query(
      `WITH e AS (
         INSERT INTO notification_event (township_id, kind, event_key, audience, title, body, data, urgent, expanded_at, recipients)
         VALUES ($1, $2, $7, $8, $9, $10, $11, $12, now(), cardinality($3::uuid[]))
         ON CONFLICT (township_id, kind, event_key) DO NOTHING RETURNING id
       ), ${INBOX_ROWS}`,
      [
        ...inboxParams(e.townshipId, e.kind, recipients, wechat),
        e.key,
        JSON.stringify(e.audience),
        e.message.title,
        e.message.body,
        JSON.stringify(e.message.data),
        e.urgent,
      ],
    );
    return { eventId: rows[0]?.eventId ?? null, pending: pendingIds(rows) };
  }

  /** The event, locked for its expansion (concurrent expansions of one event queue here). */
  async lockEvent(m: EntityManager, id: string): Promise<NotificationEventRow | undefined> {
    const [row] = await m.query(
      `SELECT id::text AS id, township_id AS "townshipId", kind, audience, urgent, expanded_at IS NOT NULL AS expanded
       FROM notification_event WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return row;
  }

  /**
   * An event's inbox rows (INBOX_ROWS) and the event marked expanded, in one statement.
   * Returns the ids whose WeChat message is pending.
   */
  async expand(m: EntityManager, event: NotificationEventRow, recipients: Recipient[], wechat: WechatPlan): Promise<string[]> {
    const rows: WrittenRow[] = await m.query(
      `WITH e AS (UPDATE notification_event SET expanded_at = now(), recipients = cardinality($3::uuid[]) WHERE id = $7 RETURNING id), ${INBOX_ROWS}`,
      [...inboxParams(event.townshipId, event.kind, recipients, wechat), event.id],
    );
    return pendingIds(rows);
  }

  /** Events no job expanded (a crash after commit, a queue that lost the job), oldest first. */
  async unexpandedEvents(m: EntityManager, olderThanMs: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await m.query(
      `SELECT id::text AS id FROM notification_event WHERE expanded_at IS NULL AND created_at < now() - $1 * interval '1 millisecond'
       ORDER BY created_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => r.id);
  }

  // ---- WeChat delivery -------------------------------------------------------------

  /** The pending WeChat messages of an event's id range that are due now. */
  async dueWechat(m: EntityManager, eventId: string, fromId: string, toId: string): Promise<DueWechatRow[]> {
    return m.query(
      `SELECT n.id::text AS id, n.person_id AS "personId", n.kind, e.title, e.body, n.created_at AS "createdAt"
       FROM notification n JOIN notification_event e ON e.id = n.event_id
       WHERE n.event_id = $1 AND n.id BETWEEN $2 AND $3 AND n.wechat_status = 'PENDING' AND n.wechat_after <= now()
       ORDER BY n.id`,
      [eventId, fromId, toId],
    );
  }

  /**
   * Claims one message for sending, committed before the request to WeChat: of two
   * workers only one claims it, and a worker that dies after the claim leaves it
   * SENDING, never sent twice. Returns the attempt number, or null if not claimed.
   */
  async claimWechat(m: EntityManager, id: string): Promise<number | null> {
    const [rows] = await m.query(
      `UPDATE notification SET wechat_status = 'SENDING', wechat_claimed_at = now(), wechat_attempts = wechat_attempts + 1
       WHERE id = $1 AND wechat_status = 'PENDING' AND wechat_after <= now() RETURNING wechat_attempts AS attempts`,
      [id],
    );
    return rows[0]?.attempts ?? null;
  }

  async finishWechat(m: EntityManager, id: string, status: 'SENT' | 'REFUSED' | 'FAILED' | 'NONE' | 'UNKNOWN', error: string | null = null): Promise<void> {
    await m.query(`UPDATE notification SET wechat_status = $2, wechat_error = $3 WHERE id = $1 AND wechat_status = 'SENDING'`, [id, status, error]);
  }

  /** WeChat did not take the message (rate limit, unreachable): pending again from `after`. */
  async retryWechatLater(m: EntityManager, id: string, after: Date, error: string): Promise<void> {
    await m.query(
      `UPDATE notification SET wechat_status = 'PENDING', wechat_after = $2, wechat_error = $3 WHERE id = $1 AND wechat_status = 'SENDING'`,
      [id, after, error],
    );
  }

  /** Holds back the rest of a range (after a rate limit): nothing of it is tried before `after`. */
  async deferWechat(m: EntityManager, eventId: string, fromId: string, toId: string, after: Date): Promise<void> {
    await m.query(
      `UPDATE notification SET wechat_after = greatest(wechat_after, $4)
       WHERE event_id = $1 AND id BETWEEN $2 AND $3 AND wechat_status = 'PENDING'`,
      [eventId, fromId, toId, after],
    );
  }

  /** Pending WeChat messages overdue by `olderThanMs`, as id ranges of at most `batch` per event. */
  async overdueWechatRanges(
    m: EntityManager,
    olderThanMs: number,
    batch: number,
    limit: number,
  ): Promise<{ eventId: string; fromId: string; toId: string; urgent: boolean }[]> {
    return m.query(
      `SELECT numbered.event_id::text AS "eventId", min(numbered.id)::text AS "fromId", max(numbered.id)::text AS "toId", e.urgent
       FROM (SELECT event_id, id, (row_number() OVER (PARTITION BY event_id ORDER BY id) - 1) / $2 AS batch
             FROM (SELECT event_id, id FROM notification
                   WHERE wechat_status = 'PENDING' AND wechat_after < now() - $1 * interval '1 millisecond'
                   ORDER BY id LIMIT $3) due) numbered
       JOIN notification_event e ON e.id = numbered.event_id
       GROUP BY numbered.event_id, numbered.batch, e.urgent ORDER BY min(numbered.id)`,
      [olderThanMs, batch, limit],
    );
  }

  /**
   * Messages claimed longer ago than any send takes, by a worker that died: whether WeChat
   * got them is unknown, so they are never tried again (the inbox has them).
   */
  async abandonStaleClaims(m: EntityManager, olderThanMs: number): Promise<number> {
    const [, count] = await m.query(
      `UPDATE notification SET wechat_status = 'UNKNOWN', wechat_error = 'worker stopped during the send'
       WHERE wechat_status = 'SENDING' AND wechat_claimed_at < now() - $1 * interval '1 millisecond'`,
      [olderThanMs],
    );
    return count;
  }

  // ---- the inbox ----------------------------------------------------------------------

  /** A person's inbox, newest first (keyset on id). */
  async inbox(m: EntityManager, personId: string, unreadOnly: boolean, beforeId: string | null, limit: number): Promise<InboxRow[]> {
    return m.query(
      `SELECT ${INBOX_COLUMNS} FROM notification n JOIN notification_event e ON e.id = n.event_id
       WHERE n.person_id = $1 AND NOT n.muted AND (NOT $2 OR n.read_at IS NULL) AND ($3::bigint IS NULL OR n.id < $3)
       ORDER BY n.id DESC LIMIT $4`,
      [personId, unreadOnly, beforeId, limit],
    );
  }

  async unreadCount(m: EntityManager, personId: string): Promise<number> {
    const [{ count }] = await m.query(`SELECT count(*)::int AS count FROM notification WHERE person_id = $1 AND NOT muted AND read_at IS NULL`, [
      personId,
    ]);
    return count;
  }

  /** Marks one of the person's notifications read (again: unchanged); undefined if it is not theirs. */
  async markRead(m: EntityManager, personId: string, id: string): Promise<InboxRow | undefined> {
    const [row] = await m.query(
      `WITH marked AS (
         UPDATE notification SET read_at = coalesce(read_at, now()) WHERE id = $2 AND person_id = $1 AND NOT muted RETURNING *)
       SELECT ${INBOX_COLUMNS} FROM marked n JOIN notification_event e ON e.id = n.event_id`,
      [personId, id],
    );
    return row;
  }

  async markAllRead(m: EntityManager, personId: string): Promise<number> {
    const [, count] = await m.query(`UPDATE notification SET read_at = now() WHERE person_id = $1 AND NOT muted AND read_at IS NULL`, [personId]);
    return count;
  }

  // ---- settings -------------------------------------------------------------------------

  async setting(m: EntityManager, personId: string): Promise<SettingRow> {
    const [row] = await m.query(`SELECT muted_kinds AS "mutedKinds", wechat_kinds AS "wechatKinds" FROM notification_setting WHERE person_id = $1`, [
      personId,
    ]);
    return row ?? { mutedKinds: [], wechatKinds: [] };
  }

  async setMuted(m: EntityManager, townshipId: string, personId: string, kind: NotificationKind, muted: boolean): Promise<void> {
    await m.query(
      `INSERT INTO notification_setting AS s (person_id, township_id, muted_kinds) VALUES ($1, $2, CASE WHEN $4 THEN ARRAY[$3] ELSE '{}' END)
       ON CONFLICT (person_id) DO UPDATE SET updated_at = now(),
         muted_kinds = CASE WHEN $4 THEN array_append(array_remove(s.muted_kinds, $3), $3) ELSE array_remove(s.muted_kinds, $3) END`,
      [personId, townshipId, kind, muted],
    );
  }

  /** The person accepted these kinds' templates in the mini-program. */
  async acceptWechat(m: EntityManager, townshipId: string, personId: string, kinds: NotificationKind[]): Promise<void> {
    await m.query(
      `INSERT INTO notification_setting AS s (person_id, township_id, wechat_kinds) VALUES ($1, $2, $3::text[])
       ON CONFLICT (person_id) DO UPDATE SET updated_at = now(),
         wechat_kinds = ARRAY(SELECT DISTINCT k FROM unnest(s.wechat_kinds || $3::text[]) k ORDER BY k)`,
      [personId, townshipId, kinds],
    );
  }

  /** WeChat says the person is not subscribed (43101): stop trying that template until they accept it again. */
  async forgetWechat(m: EntityManager, personId: string, kinds: NotificationKind[]): Promise<void> {
    await m.query(
      `UPDATE notification_setting SET wechat_kinds = ARRAY(SELECT k FROM unnest(wechat_kinds) k WHERE k <> ALL($2::text[])), updated_at = now()
       WHERE person_id = $1`,
      [personId, kinds],
    );
  }
}
