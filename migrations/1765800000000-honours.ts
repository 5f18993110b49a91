import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Honours (src/honours): each month's 文明之星 per branch, the monthly earnings they are
 * ranked from (also the stored part of every resident's lifetime points), and the
 * township's star-level ladder and settings.
 *
 * honour_month is the once-only marker of a (township, month): its row, its earnings
 * and its stars are written in one transaction, by the settlement's township step, and a
 * second writer finds the row and writes nothing. Recorded months are final: the three
 * tables are append-only like the settlement's results.
 */
export class Honours1765800000000 implements MigrationInterface {
  name = 'Honours1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE honour_setting (
        township_id       uuid PRIMARY KEY REFERENCES township(id),
        stars_per_branch  smallint NOT NULL DEFAULT 10 CHECK (stars_per_branch BETWEEN 1 AND 50),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        updated_by        uuid REFERENCES person(id)
      );

      -- A township's star ladder for one basis. POINTS: lifetime points earned. Service
      -- hours (another basis) widen star_level_basis_check when they arrive. No rows for
      -- a (township, basis): the default ladder of src/honours/honours.rules.ts.
      CREATE TABLE star_level (
        township_id  uuid NOT NULL REFERENCES township(id),
        basis        text NOT NULL CONSTRAINT star_level_basis_check CHECK (basis IN ('POINTS')),
        level        smallint NOT NULL CHECK (level BETWEEN 1 AND 10),
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 10),
        threshold    bigint NOT NULL CHECK (threshold BETWEEN 1 AND 100000000),
        updated_by   uuid REFERENCES person(id),
        PRIMARY KEY (township_id, basis, level)
      );

      -- Levels 1..n with strictly ascending thresholds, checked at commit (a ladder is
      -- replaced by deleting and inserting its rows in one transaction).
      CREATE FUNCTION star_level_check_ladder() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        t uuid := coalesce(NEW.township_id, OLD.township_id);
        b text := coalesce(NEW.basis, OLD.basis);
      BEGIN
        IF EXISTS (
          SELECT 1 FROM (
            SELECT level, threshold, row_number() OVER (ORDER BY level) AS n, lag(threshold) OVER (ORDER BY level) AS below
            FROM star_level WHERE township_id = t AND basis = b
          ) l WHERE l.level <> l.n OR l.threshold <= l.below
        ) THEN
          RAISE EXCEPTION 'star levels of % must be 1..n with ascending thresholds', b USING ERRCODE = 'CBH01';
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER star_level_ladder AFTER INSERT OR UPDATE OR DELETE ON star_level
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION star_level_check_ladder();

      CREATE TABLE honour_month (
        township_id       uuid NOT NULL REFERENCES township(id),
        month             date NOT NULL CHECK (extract(day FROM month) = 1),
        stars_per_branch  smallint NOT NULL CHECK (stars_per_branch BETWEEN 1 AND 50),
        recorded_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (township_id, month)
      );

      -- Every resident whose earnings moved in the month: MINT credits booked in it minus
      -- reversals of mints booked in it (so it can be negative), by the resident's branch.
      CREATE TABLE honour_earning (
        township_id      uuid NOT NULL,
        month            date NOT NULL,
        resident_id      uuid NOT NULL,
        branch_id        uuid NOT NULL,
        points           bigint NOT NULL,
        first_earned_at  timestamptz,
        PRIMARY KEY (township_id, month, resident_id),
        FOREIGN KEY (township_id, month) REFERENCES honour_month (township_id, month),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id)
      );
      -- A resident's recorded months, summed by an index-only scan (lifetime points).
      CREATE INDEX honour_earning_resident_idx ON honour_earning (resident_id, month) INCLUDE (points);

      CREATE TABLE monthly_star (
        township_id      uuid NOT NULL,
        month            date NOT NULL,
        branch_id        uuid NOT NULL,
        rank             smallint NOT NULL CHECK (rank >= 1),
        resident_id      uuid NOT NULL,
        points           bigint NOT NULL CHECK (points > 0),
        first_earned_at  timestamptz NOT NULL,
        PRIMARY KEY (township_id, month, branch_id, rank),
        UNIQUE (township_id, month, resident_id),
        FOREIGN KEY (township_id, month) REFERENCES honour_month (township_id, month),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id)
      );
    `);
    for (const table of ['honour_month', 'honour_earning', 'monthly_star']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
      `);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE monthly_star, honour_earning, honour_month, star_level, honour_setting;
      DROP FUNCTION star_level_check_ladder();
    `);
  }
}
