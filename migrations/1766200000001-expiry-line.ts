import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16, expiry on its own line: a settled month's snapshot of every account gains
 * `expired`, what the yearly reset's EXPIRY entries (net of any reversal of one) moved,
 * which `earned` used to include. The identity becomes opening + earned - spent - expired
 * = closing. Snapshots written before are corrected in place from the month's EXPIRY
 * postings (the only change ever made to this append-only table, by its owner, here).
 */
export class ExpiryLine1766200000001 implements MigrationInterface {
  name = 'ExpiryLine1766200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE account_period_balance ADD COLUMN expired bigint NOT NULL DEFAULT 0;
      ALTER TABLE account_period_balance DROP CONSTRAINT account_period_balance_check;
      ALTER TABLE account_period_balance DISABLE TRIGGER account_period_balance_append_only;
      UPDATE account_period_balance s SET expired = x.expired, earned = s.earned + x.expired
      FROM (
        SELECT p.account_id, p.period, -sum(p.amount) AS expired
        FROM posting p JOIN journal_entry e ON e.id = p.entry_id LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
        WHERE coalesce(o.kind, e.kind) = 'EXPIRY'
        GROUP BY p.account_id, p.period
      ) x
      WHERE s.account_id = x.account_id AND s.period = x.period;
      ALTER TABLE account_period_balance ENABLE TRIGGER account_period_balance_append_only;
      ALTER TABLE account_period_balance ADD CONSTRAINT account_period_balance_check CHECK (opening + earned - spent - expired = closing);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE account_period_balance DROP CONSTRAINT account_period_balance_check;
      ALTER TABLE account_period_balance DISABLE TRIGGER account_period_balance_append_only;
      UPDATE account_period_balance SET earned = earned - expired WHERE expired <> 0;
      ALTER TABLE account_period_balance ENABLE TRIGGER account_period_balance_append_only;
      ALTER TABLE account_period_balance DROP COLUMN expired;
      ALTER TABLE account_period_balance ADD CONSTRAINT account_period_balance_check CHECK (opening + earned - spent = closing);
    `);
  }
}
