import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16, service hours and the points policy:
 * - check-out and the minutes served per attendance (fixed when the activity is completed);
 * - each township's policy: the share of an activity's length that counts as attended for
 *   points, and points expiry (none, or a yearly reset on a set date announced beforehand);
 * - the runs of that yearly reset (one per township and cut-off date), booked as EXPIRY
 *   entries to the township's expiry account;
 * - the 志愿服务记录证明 issued, kept unchanged so that a number verifies later.
 */
export class HoursExpiry1766100000000 implements MigrationInterface {
  name = 'HoursExpiry1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE activity_signup
        ADD COLUMN checked_out_at timestamptz,
        ADD COLUMN checked_in_by_code boolean NOT NULL DEFAULT false,
        ADD COLUMN minutes_served int CHECK (minutes_served >= 0);
      -- Existing check-ins were by code when the resident's own person marked them.
      UPDATE activity_signup s SET checked_in_by_code = true FROM resident r
        WHERE r.id = s.resident_id AND s.attendance = 'PRESENT' AND s.attendance_by = r.person_id;
      -- Attendance completed before hours were recorded: the activity's length, for the
      -- attendees that were paid (as a manager's mark counts now).
      UPDATE activity_signup s SET minutes_served = greatest(0, floor(extract(epoch FROM a.ends_at - a.starts_at) / 60))::int
        FROM activity a WHERE a.id = s.activity_id AND a.status = 'COMPLETED' AND s.attendance = 'PRESENT';
      CREATE INDEX activity_signup_served_idx ON activity_signup (resident_id, activity_id) WHERE minutes_served > 0;

      ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_kind_check;
      ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_kind_check CHECK (kind IN ('MINT', 'SPEND', 'ADJUSTMENT', 'REVERSAL', 'EXPIRY'));

      CREATE TABLE township_policy (
        township_id             uuid PRIMARY KEY REFERENCES township(id),
        min_attendance_percent  int NOT NULL DEFAULT 0 CHECK (min_attendance_percent BETWEEN 0 AND 100),
        expiry_mode             text NOT NULL DEFAULT 'NONE' CHECK (expiry_mode IN ('NONE', 'YEARLY')),
        expiry_month            int CHECK (expiry_month BETWEEN 1 AND 12),
        expiry_day              int CHECK (expiry_day BETWEEN 1 AND 31),
        expiry_notice_days      int NOT NULL DEFAULT 30 CHECK (expiry_notice_days BETWEEN 1 AND 180),
        -- When the expiry rule (mode, date, notice) was last set: a cut-off runs only if
        -- the rule stood at least the notice days before it (residents were told first).
        expiry_set_at           timestamptz,
        updated_at              timestamptz NOT NULL DEFAULT now(),
        updated_by              uuid REFERENCES person(id),
        CHECK ((expiry_mode = 'YEARLY') = (expiry_month IS NOT NULL AND expiry_day IS NOT NULL AND expiry_set_at IS NOT NULL))
      );

      CREATE TABLE points_expiry_run (
        township_id   uuid NOT NULL REFERENCES township(id),
        cutoff_date   date NOT NULL,
        cutoff_at     timestamptz NOT NULL,
        status        text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'DONE')),
        residents     int NOT NULL DEFAULT 0,
        points        bigint NOT NULL DEFAULT 0,
        started_at    timestamptz NOT NULL DEFAULT now(),
        finished_at   timestamptz,
        PRIMARY KEY (township_id, cutoff_date)
      );

      CREATE TABLE service_certificate (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number         text NOT NULL UNIQUE CHECK (number ~ '^ZYFW-[0-9]{8}-[0-9A-Z]{8}$'),
        township_id    uuid NOT NULL REFERENCES township(id),
        branch_id      uuid NOT NULL,
        resident_id    uuid NOT NULL,
        resident_name  text NOT NULL,
        township_name  text NOT NULL,
        branch_name    text NOT NULL,
        -- What the certificate states, as issued: [{activityId, title, date, minutes}]
        records        jsonb NOT NULL,
        total_minutes  int NOT NULL CHECK (total_minutes >= 0),
        issued_by      uuid REFERENCES person(id),
        issued_at      timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id)
      );
      CREATE INDEX service_certificate_resident_idx ON service_certificate (resident_id, issued_at, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE service_certificate, points_expiry_run, township_policy;
      ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_kind_check;
      ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_kind_check CHECK (kind IN ('MINT', 'SPEND', 'ADJUSTMENT', 'REVERSAL'));
      DROP INDEX activity_signup_served_idx;
      ALTER TABLE activity_signup DROP COLUMN checked_out_at, DROP COLUMN checked_in_by_code, DROP COLUMN minutes_served;
    `);
  }
}
