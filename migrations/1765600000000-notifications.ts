import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications (issue 15): a transactional outbox and the in-app inbox.
 *
 * `notification_event` is the outbox: a feature writes one row in the transaction of its
 * business change (themes published, a promotion, points moved …), naming its audience
 * (residents, persons, a branch's residents, the township's admins) rather than listing
 * every inbox row, so the feature's write stays one statement however many are told.
 * A job expands it into `notification`, one row per (event, recipient): the inbox entry
 * and the state of its WeChat subscription message. The unique keys make a re-run of any
 * job a no-op: one event per (township, kind, key), one row per (event, person).
 *
 * `notification_setting` is a person's choices: the kinds they turned off, and the kinds
 * whose WeChat template they accepted in the mini-program (wx.requestSubscribeMessage).
 */
export class Notifications1765600000000 implements MigrationInterface {
  name = 'Notifications1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_event (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        township_id  uuid NOT NULL REFERENCES township(id),
        kind         text NOT NULL,
        event_key    text NOT NULL,
        audience     jsonb NOT NULL,
        title        text NOT NULL,
        body         text NOT NULL,
        data         jsonb NOT NULL DEFAULT '{}',
        urgent       boolean NOT NULL DEFAULT false,
        created_at   timestamptz NOT NULL DEFAULT now(),
        expanded_at  timestamptz,
        recipients   int,
        UNIQUE (township_id, kind, event_key)
      );
      CREATE INDEX notification_event_unexpanded_idx ON notification_event (created_at) WHERE expanded_at IS NULL;

      CREATE TABLE notification (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id        bigint NOT NULL REFERENCES notification_event(id),
        township_id     uuid NOT NULL,
        person_id       uuid NOT NULL,
        kind            text NOT NULL,
        muted           boolean NOT NULL DEFAULT false,
        created_at      timestamptz NOT NULL DEFAULT now(),
        read_at         timestamptz,
        -- NONE (not bound, not accepted, muted), PENDING, SENDING (claimed: a send may be in
        -- flight), SENT, REFUSED (43101), FAILED, UNKNOWN (claimed by a worker that died).
        wechat_status   text NOT NULL CHECK (wechat_status IN ('NONE', 'PENDING', 'SENDING', 'SENT', 'REFUSED', 'FAILED', 'UNKNOWN')),
        wechat_after    timestamptz,
        wechat_attempts int NOT NULL DEFAULT 0,
        wechat_claimed_at timestamptz,
        wechat_error    text,
        FOREIGN KEY (township_id, person_id) REFERENCES person (township_id, id),
        UNIQUE (event_id, person_id)
      );
      CREATE INDEX notification_inbox_idx ON notification (person_id, id DESC) WHERE NOT muted;
      CREATE INDEX notification_unread_idx ON notification (person_id) WHERE NOT muted AND read_at IS NULL;
      CREATE INDEX notification_wechat_due_idx ON notification (wechat_after) WHERE wechat_status = 'PENDING';
      CREATE INDEX notification_wechat_claimed_idx ON notification (wechat_claimed_at) WHERE wechat_status = 'SENDING';

      CREATE TABLE notification_setting (
        person_id     uuid PRIMARY KEY,
        township_id   uuid NOT NULL,
        muted_kinds   text[] NOT NULL DEFAULT '{}',
        wechat_kinds  text[] NOT NULL DEFAULT '{}',
        updated_at    timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, person_id) REFERENCES person (township_id, id)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_setting; DROP TABLE notification; DROP TABLE notification_event;`);
  }
}
