import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 12, the settlement's township step: a settled month's snapshot of every account
 * also says what mints moved on it, so that the honours of the month are read from the
 * snapshot instead of a second pass over the month's entries and postings:
 * - `minted`: the MINT postings booked in the month plus the reversals of mints booked in
 *   it (whichever month the mint was); NULL when neither touched the account (a mint and
 *   its reversal in the same month make 0, not NULL). Part of `earned`.
 * - `first_minted_at`: the booking time of the account's first credit from a mint of the
 *   month that no reversal in the month undid; NULL when there is none.
 * Snapshots written before are filled in from their month's postings (by the table's
 * owner, here, as 1766200000001 did for `expired`).
 */
export class SnapshotMinted1766200000400 implements MigrationInterface {
  name = 'SnapshotMinted1766200000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE account_period_balance ADD COLUMN minted bigint, ADD COLUMN first_minted_at timestamptz,
        ADD CONSTRAINT account_period_balance_first_minted CHECK (first_minted_at IS NULL OR minted IS NOT NULL);
      ALTER TABLE account_period_balance DISABLE TRIGGER account_period_balance_append_only;
      UPDATE account_period_balance s SET minted = x.minted, first_minted_at = x.first_minted_at
      FROM (
        SELECT p.account_id, p.period, sum(p.amount) AS minted,
               min(p.booked_at) FILTER (WHERE e.kind = 'MINT' AND p.amount > 0 AND NOT EXISTS (
                 SELECT 1 FROM journal_entry r WHERE r.reverses_entry_id = e.id AND r.period = e.period)) AS first_minted_at
        FROM posting p JOIN journal_entry e ON e.id = p.entry_id LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
        WHERE coalesce(o.kind, e.kind) = 'MINT'
        GROUP BY p.account_id, p.period
      ) x
      WHERE s.account_id = x.account_id AND s.period = x.period;
      ALTER TABLE account_period_balance ENABLE TRIGGER account_period_balance_append_only;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE account_period_balance DROP COLUMN minted, DROP COLUMN first_minted_at`);
  }
}
