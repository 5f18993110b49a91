import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A resident's lifetime points (src/honours) add, to the months honours recorded, the
 * months not recorded yet from the resident's own postings. With posting_account_idx on
 * (account_id, id) alone every one of the resident's postings was fetched from the heap
 * to read its period (480 postings: 6 ms); with period, amount and entry_id included the
 * scan is index-only and only the open months' postings go on to their entries (0.5 ms).
 * Same key, so the passbook's keyset pages use it as before; no index is added to the
 * ledger's write path, the existing one is wider. Rebuilding it locks postings for the
 * length of the build: run it with the deployment's migration step, before the API starts.
 */
export class PostingAccountCovering1765800000001 implements MigrationInterface {
  name = 'PostingAccountCovering1765800000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX posting_account_idx;
      CREATE INDEX posting_account_idx ON posting (account_id, id) INCLUDE (period, amount, entry_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX posting_account_idx;
      CREATE INDEX posting_account_idx ON posting (account_id, id);
    `);
  }
}
