import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Households (户): residents of one branch grouped under a head, and dependents who have
 * no account (a child, an elder without a phone). A resident belongs to at most one
 * household, and the head is always one of its members (a deferred foreign key: a
 * household and its first member are written in one transaction).
 *
 * Sign-ups and enrolments record who acted for whom: `acted_by` is the person who did it
 * for someone else (null when the resident acted for themselves), `dependent_id` the
 * dependent it is for. A dependent's sign-up or enrolment belongs to the resident who
 * registered it (`resident_id`): they paid for it, and they are paid for the dependent's
 * attendance. One live sign-up per resident (for themselves) and one per dependent.
 */
export class Households1765700000000 implements MigrationInterface {
  name = 'Households1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE household (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id       uuid NOT NULL,
        branch_id         uuid NOT NULL,
        head_resident_id  uuid NOT NULL,
        created_by        uuid REFERENCES person(id),
        created_at        timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        FOREIGN KEY (township_id, head_resident_id) REFERENCES resident (township_id, id),
        UNIQUE (township_id, id)
      );
      CREATE INDEX household_branch_idx ON household (branch_id, created_at, id);

      CREATE TABLE household_member (
        household_id  uuid NOT NULL,
        township_id   uuid NOT NULL,
        resident_id   uuid NOT NULL,
        added_by      uuid REFERENCES person(id),
        joined_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (household_id, resident_id),
        -- One household per resident.
        CONSTRAINT household_member_one_household UNIQUE (resident_id),
        FOREIGN KEY (township_id, household_id) REFERENCES household (township_id, id),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id)
      );

      ALTER TABLE household ADD CONSTRAINT household_head_is_member
        FOREIGN KEY (id, head_resident_id) REFERENCES household_member (household_id, resident_id) DEFERRABLE INITIALLY DEFERRED;

      CREATE TABLE household_dependent (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id   uuid NOT NULL,
        household_id  uuid NOT NULL,
        name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 30),
        birth_year    integer NOT NULL CHECK (birth_year BETWEEN 1900 AND 2100),
        created_by    uuid REFERENCES person(id),
        created_at    timestamptz NOT NULL DEFAULT now(),
        removed_at    timestamptz,
        removed_by    uuid REFERENCES person(id),
        FOREIGN KEY (township_id, household_id) REFERENCES household (township_id, id),
        UNIQUE (township_id, id)
      );
      CREATE INDEX household_dependent_household_idx ON household_dependent (household_id, created_at, id);
    `);

    await q.query(`
      ALTER TABLE activity_signup
        ADD COLUMN dependent_id uuid,
        ADD COLUMN acted_by uuid REFERENCES person(id),
        ADD FOREIGN KEY (township_id, dependent_id) REFERENCES household_dependent (township_id, id);
      ALTER TABLE activity_signup DROP CONSTRAINT activity_signup_activity_id_resident_id_key;
      CREATE UNIQUE INDEX activity_signup_resident_key ON activity_signup (activity_id, resident_id) WHERE dependent_id IS NULL;
      CREATE UNIQUE INDEX activity_signup_dependent_key ON activity_signup (activity_id, dependent_id) WHERE dependent_id IS NOT NULL;

      ALTER TABLE course_enrolment
        ADD COLUMN dependent_id uuid,
        ADD COLUMN acted_by uuid REFERENCES person(id),
        ADD FOREIGN KEY (township_id, dependent_id) REFERENCES household_dependent (township_id, id);
      DROP INDEX course_enrolment_active_key;
      CREATE UNIQUE INDEX course_enrolment_active_key ON course_enrolment (course_id, resident_id) WHERE status = 'ENROLLED' AND dependent_id IS NULL;
      CREATE UNIQUE INDEX course_enrolment_dependent_active_key ON course_enrolment (course_id, dependent_id)
        WHERE status = 'ENROLLED' AND dependent_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM course_enrolment WHERE dependent_id IS NOT NULL;
      DROP INDEX course_enrolment_dependent_active_key;
      DROP INDEX course_enrolment_active_key;
      CREATE UNIQUE INDEX course_enrolment_active_key ON course_enrolment (course_id, resident_id) WHERE status = 'ENROLLED';
      ALTER TABLE course_enrolment DROP COLUMN dependent_id, DROP COLUMN acted_by;

      DELETE FROM activity_signup WHERE dependent_id IS NOT NULL;
      DROP INDEX activity_signup_dependent_key;
      DROP INDEX activity_signup_resident_key;
      ALTER TABLE activity_signup ADD CONSTRAINT activity_signup_activity_id_resident_id_key UNIQUE (activity_id, resident_id);
      ALTER TABLE activity_signup DROP COLUMN dependent_id, DROP COLUMN acted_by;

      ALTER TABLE household DROP CONSTRAINT household_head_is_member;
      DROP TABLE household_dependent, household_member, household;
    `);
  }
}
