import { LedgerService } from '../../src/ledger/ledger.service';
import { TestDatabase } from './test-database';

/**
 * Every ledger rule, on the whole township: reconciliation clean, no mismatched account,
 * the township sums to zero, no resident below zero, every entry has two or more postings
 * summing to zero.
 */
export async function expectLedgerRules(db: Pick<TestDatabase, 'dataSource'>, townshipId: string): Promise<void> {
  const report = await db.dataSource.transaction((m) => new LedgerService().reconcile(m, townshipId));
  expect(report.ok).toBe(true);
  expect(report.mismatchedAccounts).toEqual([]);
  expect(report.unbalancedEntries).toEqual([]);
  expect({ stored: report.storedTotal, posted: report.postedTotal }).toEqual({ stored: 0, posted: 0 });
  const [checks] = await db.dataSource.query(
    `SELECT (SELECT count(*)::int FROM (SELECT a.id FROM account a JOIN account_balance b ON b.account_id = a.id
               WHERE a.township_id = $1 AND a.kind = 'RESIDENT' GROUP BY a.id HAVING sum(b.balance) < 0) n) AS "negativeResidents",
            (SELECT count(*)::int FROM (SELECT e.id FROM journal_entry e LEFT JOIN posting p ON p.entry_id = e.id
               WHERE e.township_id = $1 GROUP BY e.id HAVING count(p.id) < 2 OR coalesce(sum(p.amount), 0) <> 0) u) AS "badEntries",
            (SELECT coalesce(sum(amount), 0)::int8 FROM posting WHERE township_id = $1) AS "townshipSum"`,
    [townshipId],
  );
  expect(checks).toEqual({ negativeResidents: 0, badEntries: 0, townshipSum: '0' });
}
