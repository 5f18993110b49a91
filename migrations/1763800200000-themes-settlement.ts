import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monthly theme lists and the monthly settlement (DESIGN.md §5).
 *
 * Exactly-once is a property of the keys here, not of the queue: a (branch, month) has
 * one publication (PRIMARY KEY), a settlement has one figures row per branch and one
 * closing snapshot per account (PRIMARY KEYs); the jobs insert with ON CONFLICT DO
 * NOTHING, so a retried, duplicated or resumed job writes nothing twice.
 */
export class ThemesSettlement1763800200000 implements MigrationInterface {
  name = 'ThemesSettlement1763800200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A theme of a month: township-wide (branch_id NULL, set by township admins) or
      -- branch-only (added by the branch's managers before their list is published).
      CREATE TABLE theme (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id       uuid NOT NULL REFERENCES township(id),
        branch_id         uuid,
        month             date NOT NULL CHECK (extract(day FROM month) = 1),
        title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 50),
        description       text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
        suggested_points  integer NOT NULL CHECK (suggested_points BETWEEN 0 AND 100),
        created_by        uuid REFERENCES person(id),
        created_at        timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        UNIQUE NULLS NOT DISTINCT (township_id, month, branch_id, title)
      );
      CREATE INDEX theme_month_idx ON theme (township_id, month);

      -- A branch's list for a month, published once: the primary key is the final guard
      -- against a second publication, whatever the queue does.
      CREATE TABLE theme_publication (
        township_id   uuid NOT NULL,
        branch_id     uuid NOT NULL,
        month         date NOT NULL CHECK (extract(day FROM month) = 1),
        published_at  timestamptz NOT NULL DEFAULT now(),
        published_by  uuid REFERENCES person(id),
        PRIMARY KEY (branch_id, month),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id)
      );
      CREATE INDEX theme_publication_township_idx ON theme_publication (township_id, month);

      -- The themes of a publication, frozen at publication time.
      CREATE TABLE theme_publication_item (
        township_id  uuid NOT NULL REFERENCES township(id),
        branch_id  uuid NOT NULL,
        month      date NOT NULL,
        theme_id   uuid NOT NULL REFERENCES theme(id),
        position   integer NOT NULL,
        PRIMARY KEY (branch_id, month, theme_id),
        FOREIGN KEY (branch_id, month) REFERENCES theme_publication (branch_id, month)
      );

      -- One settlement per township and month. 'run' counts attempts after a failure:
      -- job ids carry it, so a failed run's jobs do not block a new run.
      CREATE TABLE settlement (
        township_id          uuid NOT NULL REFERENCES township(id),
        month                date NOT NULL CHECK (extract(day FROM month) = 1),
        status               text NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
        run                  integer NOT NULL DEFAULT 1,
        branches_total       integer NOT NULL,
        started_by           uuid REFERENCES person(id),
        started_at           timestamptz NOT NULL DEFAULT now(),
        finished_at          timestamptz,
        error                text,
        trial_balance        jsonb,
        reconciliation       jsonb,
        PRIMARY KEY (township_id, month)
      );

      -- A branch's figures for a settled month, computed once from the closed ledger.
      CREATE TABLE settlement_branch (
        township_id             uuid NOT NULL,
        month                   date NOT NULL,
        branch_id               uuid NOT NULL,
        points_minted           bigint NOT NULL,
        points_spent            bigint NOT NULL,
        activities_held         integer NOT NULL,
        distinct_volunteers     integer NOT NULL,
        distinct_course_takers  integer NOT NULL,
        top_volunteers          jsonb NOT NULL,
        computed_at             timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (township_id, month, branch_id),
        FOREIGN KEY (township_id, month) REFERENCES settlement (township_id, month),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id)
      );

      -- Every account's balance movement in a settled month (its closing snapshot).
      -- earned + opening - spent = closing; 'spent' is what spend entries (net of their
      -- refunds) took, 'earned' everything else (mints, adjustments, their reversals).
      CREATE TABLE account_period_balance (
        account_id   uuid NOT NULL REFERENCES account(id),
        period       date NOT NULL,
        township_id  uuid NOT NULL,
        opening      bigint NOT NULL,
        earned       bigint NOT NULL,
        spent        bigint NOT NULL,
        closing      bigint NOT NULL,
        PRIMARY KEY (account_id, period),
        CHECK (opening + earned - spent = closing)
      );
      CREATE INDEX account_period_balance_township_idx ON account_period_balance (township_id, period);

      -- Activities take their theme from the month's published list (checked by
      -- ThemeService.assertThemeAvailable); the key keeps a theme from vanishing under one.
      ALTER TABLE activity ADD CONSTRAINT activity_theme_fk FOREIGN KEY (theme_id) REFERENCES theme(id);
      CREATE INDEX activity_theme_idx ON activity (theme_id) WHERE theme_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE activity DROP CONSTRAINT activity_theme_fk;
      DROP INDEX activity_theme_idx;
      DROP TABLE account_period_balance, settlement_branch, settlement, theme_publication_item,
        theme_publication, theme CASCADE;
    `);
  }
}
