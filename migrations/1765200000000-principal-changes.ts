import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tells every API process when a cached principal (src/auth/principal-cache.ts) goes
 * stale: a NOTIFY on `principal_changed` at commit, whoever writes, service or direct SQL.
 * The payload is the person whose identity, residence or roles changed; `*` (a township or
 * branch renamed or deleted, a table truncated) means every principal.
 *
 * Inserting a person needs no notice: a principal is only cached once the person exists.
 */
export class PrincipalChanges1765200000000 implements MigrationInterface {
  name = 'PrincipalChanges1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notify_principal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
          PERFORM pg_notify('principal_changed', '*');
        ELSIF TG_TABLE_NAME = 'person' THEN
          PERFORM pg_notify('principal_changed', OLD.id::text);
        ELSE
          IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('principal_changed', OLD.person_id::text); END IF;
          IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('principal_changed', NEW.person_id::text); END IF;
        END IF;
        RETURN NULL;
      END $$;

      CREATE TRIGGER person_principal_changed AFTER UPDATE OR DELETE ON person
        FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
      CREATE TRIGGER resident_principal_changed AFTER INSERT OR UPDATE OR DELETE ON resident
        FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
      CREATE TRIGGER role_assignment_principal_changed AFTER INSERT OR UPDATE OR DELETE ON role_assignment
        FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
      CREATE TRIGGER township_principal_changed AFTER UPDATE OR DELETE OR TRUNCATE ON township
        FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_changed();
      CREATE TRIGGER branch_principal_changed AFTER UPDATE OR DELETE OR TRUNCATE ON branch
        FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_changed();
      CREATE TRIGGER person_principal_truncated AFTER TRUNCATE ON person
        FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_changed();
      CREATE TRIGGER resident_principal_truncated AFTER TRUNCATE ON resident
        FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_changed();
      CREATE TRIGGER role_assignment_principal_truncated AFTER TRUNCATE ON role_assignment
        FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_changed();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER role_assignment_principal_truncated ON role_assignment;
      DROP TRIGGER resident_principal_truncated ON resident;
      DROP TRIGGER person_principal_truncated ON person;
      DROP TRIGGER branch_principal_changed ON branch;
      DROP TRIGGER township_principal_changed ON township;
      DROP TRIGGER role_assignment_principal_changed ON role_assignment;
      DROP TRIGGER resident_principal_changed ON resident;
      DROP TRIGGER person_principal_changed ON person;
      DROP FUNCTION notify_principal_changed();
    `);
  }
}
