import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Persons belong to one township (issue 9). A person was global by mobile number, so a
 * branch in township B that registered or appointed "a number" reached a person of
 * township A: the response carried A's name for them, and B registering a number first
 * left A with MOBILE_TAKEN. Now a person is a township's record of someone: B's record
 * of a number is B's alone (its own name, its own row), and A can always register it.
 * A human in two townships is two persons, one per township; they prove who they are
 * with WeChat (the verified phone number binds every one of their persons) and choose
 * the township at login when there are several.
 *
 * Existing data: each person's township is the one of their resident record, else of
 * their first role, else of the first row anywhere that names them; a person holding
 * roles in other townships too gets a copy there (same name, mobile and WeChat binding)
 * and those roles move to it. Historical "who did it" columns (created_by, actor_id, …)
 * keep pointing at the person of the time. A person nothing refers to is removed.
 */
export class TownshipPersons1764500000001 implements MigrationInterface {
  name = 'TownshipPersons1764500000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE person ADD COLUMN township_id uuid REFERENCES township(id);

      UPDATE person p SET township_id = coalesce(
        (SELECT r.township_id FROM resident r WHERE r.person_id = p.id),
        (SELECT ra.township_id FROM role_assignment ra WHERE ra.person_id = p.id ORDER BY ra.created_at, ra.id LIMIT 1),
        (SELECT r.township_id FROM resident r WHERE r.registered_by = p.id LIMIT 1),
        (SELECT ra.township_id FROM role_assignment ra WHERE ra.granted_by = p.id LIMIT 1),
        (SELECT a.township_id FROM audit_log a WHERE a.actor_id = p.id OR a.subject = p.id::text ORDER BY a.id LIMIT 1),
        (SELECT e.township_id FROM journal_entry e WHERE e.created_by = p.id LIMIT 1),
        (SELECT l.township_id FROM ledger_period l WHERE l.closed_by = p.id LIMIT 1),
        (SELECT x.township_id FROM activity x WHERE x.created_by = p.id LIMIT 1),
        (SELECT x.township_id FROM activity_signup x WHERE x.attendance_by = p.id LIMIT 1),
        (SELECT x.township_id FROM course x WHERE x.created_by = p.id LIMIT 1),
        (SELECT x.township_id FROM theme x WHERE x.created_by = p.id LIMIT 1),
        (SELECT x.township_id FROM theme_publication x WHERE x.published_by = p.id LIMIT 1),
        (SELECT x.township_id FROM settlement x WHERE x.started_by = p.id LIMIT 1));
      DELETE FROM person WHERE township_id IS NULL;

      ALTER TABLE person DROP CONSTRAINT person_mobile_key, DROP CONSTRAINT person_wechat_openid_key;

      CREATE TEMPORARY TABLE person_copy ON COMMIT DROP AS
        SELECT DISTINCT ra.person_id AS original, ra.township_id, gen_random_uuid() AS copy
        FROM role_assignment ra JOIN person p ON p.id = ra.person_id
        WHERE ra.township_id <> p.township_id;
      INSERT INTO person (id, township_id, name, mobile, wechat_openid, created_at)
        SELECT c.copy, c.township_id, p.name, p.mobile, p.wechat_openid, p.created_at
        FROM person_copy c JOIN person p ON p.id = c.original;
      UPDATE role_assignment ra SET person_id = c.copy
        FROM person_copy c WHERE ra.person_id = c.original AND ra.township_id = c.township_id;

      ALTER TABLE person ALTER COLUMN township_id SET NOT NULL,
        ADD CONSTRAINT person_township_mobile_key UNIQUE (township_id, mobile),
        ADD CONSTRAINT person_township_openid_key UNIQUE (township_id, wechat_openid),
        ADD CONSTRAINT person_township_id_key UNIQUE (township_id, id);
      CREATE INDEX person_mobile_idx ON person (mobile);
      CREATE INDEX person_openid_idx ON person (wechat_openid) WHERE wechat_openid IS NOT NULL;

      -- A resident or a role holder is a person of the same township.
      ALTER TABLE resident ADD CONSTRAINT resident_person_township_fk
        FOREIGN KEY (township_id, person_id) REFERENCES person (township_id, id);
      ALTER TABLE role_assignment ADD CONSTRAINT role_assignment_person_township_fk
        FOREIGN KEY (township_id, person_id) REFERENCES person (township_id, id);
    `);
  }

  async down(): Promise<void> {
    throw new Error('forward-only migration');
  }
}
