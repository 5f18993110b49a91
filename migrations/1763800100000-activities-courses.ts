import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Activities (sign-ups, waitlist, attendance) and experience courses (enrolments).
 *
 * Every row carries township_id (the shard key) and branch_id (the access scope: the
 * branch that runs the activity or course, not the resident's own branch). Composite
 * foreign keys on (township_id, …) make a sign-up or enrolment from another township
 * impossible in the database too.
 *
 * Places are exact because they are counted on the activity/course row and the counter
 * can only move within CHECK (0 <= count <= capacity); see ActivitiesService for how a
 * sign-up storm avoids queueing on that row once it is full.
 *
 * activity.theme_id gets its foreign key in the themes migration (1763800200000), which creates theme.
 */
export class ActivitiesCourses1763800100000 implements MigrationInterface {
  name = 'ActivitiesCourses1763800100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE activity (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id      uuid NOT NULL,
        branch_id        uuid NOT NULL,
        service_team_id  uuid REFERENCES service_team(id),
        theme_id         uuid,
        title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
        description      text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
        place            text NOT NULL CHECK (length(place) BETWEEN 1 AND 100),
        starts_at        timestamptz NOT NULL,
        ends_at          timestamptz NOT NULL,
        signup_deadline  timestamptz NOT NULL,
        capacity         integer NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
        reward_points    integer NOT NULL CHECK (reward_points BETWEEN 1 AND 100),
        status           text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED', 'CANCELLED', 'COMPLETED')),
        -- Confirmed places taken; the one counter a sign-up storm competes for.
        confirmed_count  integer NOT NULL DEFAULT 0,
        -- HMAC key of the rotating check-in code; never leaves the server.
        checkin_secret   bytea NOT NULL CHECK (length(checkin_secret) = 32),
        cancel_reason    text CHECK (length(cancel_reason) BETWEEN 1 AND 200),
        cancelled_at     timestamptz,
        completed_at     timestamptz,
        created_by       uuid REFERENCES person(id),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        UNIQUE (township_id, id),
        CONSTRAINT activity_places CHECK (confirmed_count BETWEEN 0 AND capacity),
        CHECK (ends_at > starts_at),
        CHECK (signup_deadline <= starts_at),
        CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)),
        CHECK ((status = 'COMPLETED') = (completed_at IS NOT NULL))
      );
      CREATE INDEX activity_township_idx ON activity (township_id, starts_at, id);
      CREATE INDEX activity_branch_idx ON activity (branch_id, starts_at, id);

      -- Waitlist order is arrival order: a sequence value drawn when the sign-up is
      -- written (again when a cancelled sign-up signs up anew: back of the queue).
      CREATE SEQUENCE activity_signup_arrival_seq;

      CREATE TABLE activity_signup (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id       uuid NOT NULL,
        branch_id         uuid NOT NULL,
        activity_id       uuid NOT NULL,
        resident_id       uuid NOT NULL,
        status            text NOT NULL CHECK (status IN ('CONFIRMED', 'WAITLISTED', 'CANCELLED', 'ACTIVITY_CANCELLED')),
        arrival           bigint NOT NULL DEFAULT nextval('activity_signup_arrival_seq'),
        attendance        text CHECK (attendance IN ('PRESENT', 'ABSENT')),
        checked_in_at     timestamptz,
        checkin_failures  integer NOT NULL DEFAULT 0,
        attendance_by     uuid REFERENCES person(id),
        reward_entry_id   bigint REFERENCES journal_entry(id),
        signed_up_at      timestamptz NOT NULL DEFAULT now(),
        promoted_at       timestamptz,
        cancelled_at      timestamptz,
        cancel_reason     text,
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        FOREIGN KEY (township_id, activity_id) REFERENCES activity (township_id, id),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id),
        -- One sign-up per resident and activity; cancelling and signing up again reuses it.
        UNIQUE (activity_id, resident_id),
        CHECK (attendance IS NULL OR status IN ('CONFIRMED', 'ACTIVITY_CANCELLED')),
        CHECK (reward_entry_id IS NULL OR attendance = 'PRESENT')
      );
      ALTER SEQUENCE activity_signup_arrival_seq OWNED BY activity_signup.arrival;
      CREATE INDEX activity_signup_waitlist_idx ON activity_signup (activity_id, arrival) WHERE status = 'WAITLISTED';
      CREATE INDEX activity_signup_activity_idx ON activity_signup (activity_id, status, arrival);
      CREATE INDEX activity_signup_resident_idx ON activity_signup (resident_id, signed_up_at, id);
    `);

    await q.query(`
      CREATE TABLE course (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id      uuid NOT NULL,
        branch_id        uuid NOT NULL,
        title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
        description      text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
        place            text NOT NULL CHECK (length(place) BETWEEN 1 AND 100),
        starts_at        timestamptz NOT NULL,
        ends_at          timestamptz NOT NULL,
        enrol_deadline   timestamptz NOT NULL,
        cancel_deadline  timestamptz NOT NULL,
        capacity         integer NOT NULL CHECK (capacity BETWEEN 1 AND 1000),
        price_points     integer NOT NULL CHECK (price_points BETWEEN 1 AND 1000),
        status           text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CANCELLED')),
        enrolled_count   integer NOT NULL DEFAULT 0,
        cancel_reason    text CHECK (length(cancel_reason) BETWEEN 1 AND 200),
        cancelled_at     timestamptz,
        created_by       uuid REFERENCES person(id),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        UNIQUE (township_id, id),
        CONSTRAINT course_seats CHECK (enrolled_count BETWEEN 0 AND capacity),
        CHECK (ends_at > starts_at),
        CHECK (enrol_deadline <= starts_at),
        CHECK (cancel_deadline <= starts_at),
        CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL))
      );
      CREATE INDEX course_township_idx ON course (township_id, starts_at, id);
      CREATE INDEX course_branch_idx ON course (branch_id, starts_at, id);

      -- An enrolment is charged once under the key enrolment:<id>, so enrolling again
      -- after a refund is a new row (a new id, a new charge), never a reuse.
      CREATE TABLE course_enrolment (
        id               uuid PRIMARY KEY,
        township_id      uuid NOT NULL,
        branch_id        uuid NOT NULL,
        course_id        uuid NOT NULL,
        resident_id      uuid NOT NULL,
        status           text NOT NULL CHECK (status IN ('ENROLLED', 'CANCELLED', 'COURSE_CANCELLED')),
        price_points     integer NOT NULL CHECK (price_points > 0),
        charge_entry_id  bigint NOT NULL UNIQUE REFERENCES journal_entry(id),
        refund_entry_id  bigint UNIQUE REFERENCES journal_entry(id),
        enrolled_at      timestamptz NOT NULL DEFAULT now(),
        cancelled_at     timestamptz,
        cancel_reason    text,
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        FOREIGN KEY (township_id, course_id) REFERENCES course (township_id, id),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id),
        CHECK ((status = 'ENROLLED') = (refund_entry_id IS NULL))
      );
      CREATE UNIQUE INDEX course_enrolment_active_key ON course_enrolment (course_id, resident_id) WHERE status = 'ENROLLED';
      CREATE INDEX course_enrolment_course_idx ON course_enrolment (course_id, enrolled_at, id);
      CREATE INDEX course_enrolment_resident_idx ON course_enrolment (resident_id, enrolled_at, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE course_enrolment, course, activity_signup, activity CASCADE`);
  }
}
