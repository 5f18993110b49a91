import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 9, the database's part:
 *
 * - Booking time. Only the tables' owner may give an entry a booking time (an operator's
 *   data load or repair; the service never dates an entry); for everyone else it is the database's
 *   clock at insert. Before, the app role could back-date an entry into an earlier month
 *   that was still open and shift the next month's opening balance.
 * - Settled results are as append-only as the ledger: a branch's figures, the balance
 *   snapshots, published theme lists and the audit log reject UPDATE, DELETE and TRUNCATE;
 *   a settlement row may move RUNNING -> SUCCEEDED/FAILED (and FAILED -> a new run), and a
 *   SUCCEEDED one never changes again. The app role also loses those privileges
 *   (src/database/app-role-grants.ts); the triggers hold for everyone but a superuser who
 *   disables them.
 */
export class Hardening1764500000000 implements MigrationInterface {
  name = 'Hardening1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION journal_entry_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
          RAISE EXCEPTION 'ledger writes must run at READ COMMITTED isolation' USING ERRCODE = 'CB005';
        END IF;
        IF NEW.booked_at IS NULL THEN
          NEW.booked_at := clock_timestamp();
        ELSIF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.journal_entry'::regclass), 'MEMBER') THEN
          RAISE EXCEPTION 'only the ledger''s owner may date an entry; the booking time is the database''s clock'
            USING ERRCODE = 'CB007';
        ELSIF NEW.booked_at > clock_timestamp() + interval '1 minute' THEN
          RAISE EXCEPTION 'an entry cannot be booked in the future' USING ERRCODE = 'CB006';
        END IF;
        NEW.period := ledger_period_of(NEW.booked_at);
        PERFORM pg_advisory_xact_lock_shared(ledger_period_lock_key(NEW.township_id, NEW.period));
        IF EXISTS (SELECT 1 FROM ledger_period WHERE township_id = NEW.township_id AND period = NEW.period) THEN
          RAISE EXCEPTION 'period % is closed', to_char(NEW.period, 'YYYY-MM') USING ERRCODE = 'CB001';
        END IF;
        RETURN NEW;
      END $$;
    `);

    for (const table of ['settlement_branch', 'account_period_balance', 'theme_publication', 'theme_publication_item', 'audit_log']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
      `);
    }

    await q.query(`
      CREATE FUNCTION settlement_before_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR OLD.status = 'SUCCEEDED'
           OR (NEW.township_id, NEW.month) IS DISTINCT FROM (OLD.township_id, OLD.month) THEN
          RAISE EXCEPTION 'a settled month is final: % of settlement % % is not allowed',
            TG_OP, OLD.township_id, to_char(OLD.month, 'YYYY-MM') USING ERRCODE = 'CB003';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER settlement_final BEFORE UPDATE OR DELETE ON settlement
        FOR EACH ROW EXECUTE FUNCTION settlement_before_change();
      CREATE TRIGGER settlement_no_truncate BEFORE TRUNCATE ON settlement
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
    `);
  }

  async down(): Promise<void> {
    throw new Error('forward-only migration');
  }
}
