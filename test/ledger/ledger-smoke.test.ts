import { TransactionRunner } from '../../src/database/transaction.runner';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { seedTownship } from '../support/factories';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('ledger smoke', () => {
  let db: TestDatabase;
  const ledger = new LedgerService();
  let tx: TransactionRunner;
  beforeAll(async () => {
    db = await createTestDatabase();
    tx = new TransactionRunner(db.dataSource);
  });
  afterAll(() => db.drop());

  it('mints, spends, reverses and reconciles', async () => {
    const t = await seedTownship(db.dataSource);
    const b = t.branches[0];
    const r = b.residents[0];
    const mint = await tx.run((m) =>
      ledger.post(m, {
        townshipId: t.id,
        idempotencyKey: 'a1',
        kind: EntryKind.MINT,
        memo: '平安有我',
        lines: [
          { accountId: r.accountId, amount: 5 },
          { accountId: b.issuanceAccountId, amount: -5 },
        ],
      }),
    );
    expect(mint.created).toBe(true);
    const again = await tx.run((m) =>
      ledger.post(m, {
        townshipId: t.id,
        idempotencyKey: 'a1',
        kind: EntryKind.MINT,
        memo: '平安有我',
        lines: [
          { accountId: b.issuanceAccountId, amount: -5 },
          { accountId: r.accountId, amount: 5 },
        ],
      }),
    );
    expect(again).toEqual({ ...mint, created: false });
    await expect(
      tx.run((m) =>
        ledger.post(m, {
          townshipId: t.id,
          idempotencyKey: 'spend1',
          kind: EntryKind.SPEND,
          memo: '课程',
          lines: [
            { accountId: r.accountId, amount: -6 },
            { accountId: b.redemptionAccountId, amount: 6 },
          ],
        }),
      ),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    const rev = await tx.run((m) => ledger.reverse(m, { townshipId: t.id, entryId: mint.id, reason: '误记' }));
    expect(rev.created).toBe(true);
    const history = await tx.run((m) => ledger.history(m, { accountId: r.accountId }, 10));
    expect(history.map((h) => [h.kind, h.amount, h.balanceAfter])).toEqual([
      ['REVERSAL', -5, 0],
      ['MINT', 5, 5],
    ]);
    const report = await tx.run((m) => ledger.reconcile(m, t.id));
    expect(report.ok).toBe(true);
    expect(report.entriesChecked).toBe(2);
  });
});
