import { randomInt, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { LedgerService } from '../../src/ledger/ledger.service';
import { AccountKind } from '../../src/ledger/ledger.types';

export interface SeededBranch {
  id: string;
  issuanceAccountId: string;
  redemptionAccountId: string;
  residents: { id: string; personId: string; accountId: string }[];
}

export interface SeededTownship {
  id: string;
  adjustmentAccountId: string;
  branches: SeededBranch[];
}

let mobileCounter = randomInt(0, 1_000_000);
/** A unique, valid mainland mobile number. */
export function nextMobile(): string {
  mobileCounter = (mobileCounter + 1) % 100_000_000;
  return `139${String(mobileCounter).padStart(8, '0')}`;
}

/**
 * A township with branches and residents, written with plain SQL for speed; accounts
 * are opened through LedgerService, the only writer of ledger tables.
 */
export async function seedTownship(
  ds: DataSource,
  { branches = 2, residentsPerBranch = 3 }: { branches?: number; residentsPerBranch?: number } = {},
): Promise<SeededTownship> {
  const ledger = new LedgerService();
  return ds.transaction(async (m: EntityManager) => {
    const code = `t-${randomUUID().slice(0, 8)}`;
    const [{ id: townshipId }] = await m.query(`INSERT INTO township (code, name) VALUES ($1, $2) RETURNING id`, [code, `测试镇${code}`]);
    await ledger.openTownshipAccounts(m, townshipId);
    const seeded: SeededBranch[] = [];
    for (let b = 0; b < branches; b++) {
      const [{ id: branchId }] = await m.query(`INSERT INTO branch (township_id, name) VALUES ($1, $2) RETURNING id`, [
        townshipId,
        `第${b + 1}村`,
      ]);
      await ledger.openBranchAccounts(m, townshipId, branchId);
      const residents = [];
      for (let r = 0; r < residentsPerBranch; r++) {
        const [{ id: personId }] = await m.query(`INSERT INTO person (township_id, name, mobile) VALUES ($3, $1, $2) RETURNING id`, [
          `居民${b}-${r}`,
          nextMobile(),
          townshipId,
        ]);
        const [{ id: residentId }] = await m.query(
          `INSERT INTO resident (person_id, township_id, branch_id) VALUES ($1, $2, $3) RETURNING id`,
          [personId, townshipId, branchId],
        );
        await ledger.openResidentAccount(m, townshipId, residentId);
        residents.push({ id: residentId, personId, accountId: (await ledger.residentAccount(m, residentId)).id });
      }
      seeded.push({
        id: branchId,
        issuanceAccountId: (await ledger.branchAccount(m, branchId, AccountKind.BRANCH_ISSUANCE)).id,
        redemptionAccountId: (await ledger.branchAccount(m, branchId, AccountKind.BRANCH_REDEMPTION)).id,
        residents,
      });
    }
    const adjustment = await ledger.townshipAccount(m, townshipId, AccountKind.TOWNSHIP_ADJUSTMENT);
    return { id: townshipId, adjustmentAccountId: adjustment.id, branches: seeded };
  });
}
