import { DataSource } from 'typeorm';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { ProofSide, proofProblem, SealProof } from './ledger-seal';
import { LedgerService } from './ledger.service';

/** What a command prints, and whether it found the ledger (or the proof) sound. */
export interface CommandResult {
  lines: string[];
  ok: boolean;
}

/**
 * `verify-ledger`: for every township (or the one with `townshipCode`), every sealed month
 * recomputed from the entries now in it (one line each, with the seal to compare against
 * the published one), every content hash and every balance. Not ok names the first month
 * and entry that differ.
 */
export async function verifyLedger(dataSource: DataSource, townshipCode?: string): Promise<CommandResult> {
  const townships = await new OrganisationRepository(dataSource).townships(dataSource.manager, townshipCode ?? null);
  if (!townships.length) return { lines: [townshipCode ? `no township with code ${townshipCode}` : 'no township yet'], ok: !townshipCode };
  const ledger = new LedgerService();
  const lines: string[] = [];
  let firstProblem: string | undefined;
  for (const township of townships) {
    const report = await dataSource.transaction((m) => ledger.reconcile(m, township.id));
    lines.push(`${township.name} (${township.code})`);
    for (const month of report.sealedMonths) {
      const state = month.ok ? 'ok' : `MISMATCH recomputed ${month.recomputedSeal}: ${month.problem}`;
      lines.push(`  ${month.month}  ${String(month.entryCount).padStart(8)} entries  seal ${month.seal}  ${state}`);
    }
    if (!report.sealedMonths.length) lines.push('  no sealed month yet');
    const altered = report.entryProblems.filter((p) => p.problem === 'CONTENT_CHANGED');
    lines.push(`  content hashes: ${report.entriesChecked} entries, ${altered.length ? `${altered.length} changed` : 'all match'}`);
    lines.push(
      `  balances: ${report.accountsChecked} accounts, ${report.mismatchedAccounts.length ? `${report.mismatchedAccounts.length} differ from their postings` : 'stored = computed'}` +
        `${report.unbalancedEntries.length ? `, ${report.unbalancedEntries.length} unbalanced entries` : ''}`,
    );
    if (!report.ok && !firstProblem) {
      const entry = report.entryProblems[0];
      const month = report.sealedMonths.find((s) => !s.ok);
      firstProblem = entry
        ? `${township.code} ${entry.month}, entry ${entry.entryId}: ${entry.description}`
        : month
          ? `${township.code} ${month.month}: ${month.problem}`
          : report.unbalancedEntries[0]
            ? `${township.code}, entry ${report.unbalancedEntries[0].entryId}: unbalanced`
            : `${township.code}: balances differ from postings (${report.mismatchedAccounts.map((a) => a.accountId).slice(0, 5).join(', ')})`;
    }
  }
  lines.push(firstProblem ? `FAILED: ${firstProblem}` : 'ok: every sealed month, content hash and balance matches');
  return { lines, ok: !firstProblem };
}

/**
 * `verify-proof`: checks a proof from `entryProof` (the object itself, or the whole
 * GraphQL response) offline, and against a published seal when given one.
 */
export function verifyProof(text: string, publishedSeal?: string): CommandResult {
  let proof: SealProof & { entryId?: string; month?: string };
  try {
    const parsed = JSON.parse(text);
    proof = parsed?.data?.entryProof ?? parsed?.entryProof ?? parsed;
  } catch {
    return { lines: ['FAILED: the proof is not JSON'], ok: false };
  }
  const fields: (keyof SealProof)[] = ['canonicalEntry', 'leafIndex', 'leafCount', 'path', 'merkleRoot', 'previousSeal', 'seal'];
  const missing = fields.filter((f) => proof?.[f] === undefined || proof?.[f] === null);
  if (missing.length || !Array.isArray(proof.path) || !proof.path.every((s) => Object.values(ProofSide).includes(s?.side))) {
    return { lines: [`FAILED: not a proof (missing or bad: ${missing.join(', ') || 'path'})`], ok: false };
  }
  const lines = [`entry ${proof.entryId ?? '?'} of ${proof.month ?? '?'}: ${proof.canonicalEntry}`];
  lines.push(`leaf ${proof.leafIndex + 1} of ${proof.leafCount}, ${proof.path.length} steps to the root ${proof.merkleRoot}`);
  const problem = proofProblem(proof, publishedSeal);
  if (problem) return { lines: [...lines, `FAILED: ${problem}`], ok: false };
  lines.push(`seal ${proof.seal} = SHA-256(previous seal ${proof.previousSeal} ‖ root)`);
  lines.push(
    publishedSeal
      ? 'ok: the entry is inside the published seal'
      : 'ok: the proof holds; compare the seal above with the one published on the notice board (or pass --seal)',
  );
  return { lines, ok: true };
}
