import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain.error';
import { addMonths, monthToPeriodDate } from '../common/time/shanghai-month';
import { auditPath, canonicalEntry, chainSeal, GENESIS_SEAL, HASH_BYTES, merkleTree, SealedEntry, SealProof } from './ledger-seal';
import { LedgerSealRepository, StoredSeal } from './ledger-seal.repository';

export type { StoredSeal } from './ledger-seal.repository';

/** Entries read per statement while scanning a month. */
const SCAN_BATCH = 20_000;
/** Id ranges of a closed month scanned at once, each on its own connection. */
const SCAN_STREAMS = 2;
/** Problems kept per kind and month: enough to name the first ones, bounded for a wholesale change. */
const MAX_PROBLEMS = 100;

export enum EntryProblemKind {
  /** The stored content_hash no longer matches the entry's content and postings. */
  CONTENT_CHANGED = 'CONTENT_CHANGED',
  /** The entry is in a sealed month but differs from what was sealed. */
  CHANGED_AFTER_SEAL = 'CHANGED_AFTER_SEAL',
  /** The entry was sealed and is gone. */
  MISSING_FROM_SEAL = 'MISSING_FROM_SEAL',
  /** The entry is in a sealed month (or before the first one) but was not sealed. */
  ADDED_AFTER_SEAL = 'ADDED_AFTER_SEAL',
  /** Postings point at an entry that does not exist. */
  ORPHAN_POSTINGS = 'ORPHAN_POSTINGS',
}

const PROBLEM_TEXT: Record<EntryProblemKind, string> = {
  CONTENT_CHANGED: '内容与记账时的内容校验值不符',
  CHANGED_AFTER_SEAL: '与封存时的内容不符',
  MISSING_FROM_SEAL: '已封存，但现在账本中找不到',
  ADDED_AFTER_SEAL: '不在封存范围内，却出现在已封存的月份',
  ORPHAN_POSTINGS: '有分录，但记账本身不存在',
};

export interface EntryProblem {
  entryId: string;
  month: string;
  problem: EntryProblemKind;
  /** Chinese, naming the month and the entry. */
  description: string;
}

/** One sealed month checked against the ledger as it is now. */
export interface SealCheck {
  month: string;
  entryCount: number;
  /** The stored seal (hex). */
  seal: string;
  /** The seal recomputed from the entries now in the month, chained to the stored previous seal. */
  recomputedSeal: string;
  ok: boolean;
  /** Why not, in Chinese; null when ok. */
  problem: string | null;
}

/** A closed month, scanned and clean, ready to be sealed. */
export interface SealableMonth {
  month: string;
  entryIds: string[];
  leaves: Buffer;
}

export interface LedgerAudit {
  entriesChecked: number;
  unbalancedEntries: { entryId: string; postings: number; total: number }[];
  entryProblems: EntryProblem[];
  sealedMonths: SealCheck[];
  /** Closed, unsealed months up to the requested one, in order, if everything checked is clean. */
  sealable: SealableMonth[];
}

interface MonthScan {
  ids: string[];
  leaves: Buffer;
  unbalanced: LedgerAudit['unbalancedEntries'];
  problems: EntryProblem[];
}

/**
 * Reads for the sealed months (see ledger-seal.ts for the format): scanning a month's
 * entries into leaves while checking each one (postings balance, content hash), checking
 * sealed months against the ledger, proofs, and the seals themselves. LedgerService
 * writes the seals.
 */
@Injectable()
export class LedgerSealService {
  constructor(private readonly repository: LedgerSealRepository = new LedgerSealRepository()) {}

  /**
   * Checks every entry of the township: postings balance, content hash recomputed, and
   * every sealed month recomputed against its seal. With `sealThrough`, also returns the
   * closed months up to it that are not sealed yet, with their leaves, as long as no
   * problem was found in them or before them (a seal must never vouch for a broken month).
   */
  async audit(manager: EntityManager, townshipId: string, sealThrough?: string): Promise<LedgerAudit> {
    const range = await this.repository.monthSpans(manager, townshipId);
    const audit: LedgerAudit = { entriesChecked: 0, unbalancedEntries: [], entryProblems: [], sealedMonths: [], sealable: [] };
    const months = [range.firstPosted, range.firstClosed, range.lastPosted, range.lastClosed].filter((m): m is string => m !== null).sort();
    if (!months.length) return audit;
    let previousSeal: Buffer = GENESIS_SEAL;
    let clean = true;
    for (let month = months[0]; month <= months[months.length - 1]; month = addMonths(month, 1)) {
      const sealed = range.lastSealed !== null && month >= range.firstSealed! && month <= range.lastSealed;
      const closed = range.firstClosed !== null && month >= range.firstClosed && month <= range.lastClosed!;
      const toSeal = clean && sealThrough !== undefined && month <= sealThrough && closed && !sealed;
      const scan = await this.scanMonth(manager, townshipId, month, sealed || toSeal, closed);
      audit.entriesChecked += scan.ids.length;
      audit.unbalancedEntries.push(...scan.unbalanced);
      audit.entryProblems.push(...scan.problems);
      if (sealed) {
        const check = await this.checkSealedMonth(manager, townshipId, month, scan, previousSeal, audit.entryProblems);
        audit.sealedMonths.push(check.check);
        previousSeal = check.storedSeal;
      } else if (range.firstSealed !== null && month < range.firstSealed && scan.ids.length) {
        // Nothing can be booked into a closed month, and every month from the first with
        // postings was closed before it was sealed: an entry here came in around the seals.
        audit.entryProblems.push(...scan.ids.slice(0, MAX_PROBLEMS).map((id) => problem(id, month, EntryProblemKind.ADDED_AFTER_SEAL)));
      }
      clean &&= audit.entryProblems.length === 0 && audit.unbalancedEntries.length === 0 && audit.sealedMonths.every((s) => s.ok);
      if (toSeal && clean) audit.sealable.push({ month, entryIds: scan.ids, leaves: scan.leaves });
    }
    return audit;
  }

  /**
   * Every entry of one month in id order, checked one by one in the database (postings
   * balance, content hash recomputed) and, with `withLeaves`, hashed into its leaf there:
   * one statement per batch, so an entry and its postings are read from one snapshot, and
   * only 32 bytes an entry come back. A closed month cannot change, so it is read in
   * SCAN_STREAMS id ranges at once, each on a connection of its own: the hashing then
   * uses every core the database has.
   */
  private async scanMonth(manager: EntityManager, townshipId: string, month: string, withLeaves: boolean, closed: boolean): Promise<MonthScan> {
    const period = monthToPeriodDate(month);
    const bounds: (string | null)[] = closed ? await this.repository.idRangeEnds(manager, townshipId, period, SCAN_STREAMS) : [null];
    const ranges = bounds.map((last, i) => ({ after: i ? bounds[i - 1]! : '0', last }));
    const parts = await Promise.all(
      ranges.map(async ({ after, last }, i) => {
        if (i === 0) return this.scanRange(manager, townshipId, month, after, last, withLeaves);
        const runner = manager.connection.createQueryRunner();
        try {
          await runner.startTransaction();
          const part = await this.scanRange(runner.manager, townshipId, month, after, last, withLeaves);
          await runner.commitTransaction();
          return part;
        } finally {
          if (runner.isTransactionActive) await runner.rollbackTransaction();
          await runner.release();
        }
      }),
    );
    const scan: MonthScan = {
      ids: parts.flatMap((p) => p.ids),
      leaves: Buffer.concat(parts.map((p) => p.leaves)),
      unbalanced: parts.flatMap((p) => p.unbalanced).slice(0, MAX_PROBLEMS),
      problems: parts.flatMap((p) => p.problems),
    };
    const orphan = await this.repository.firstOrphanAfter(manager, townshipId, period, scan.ids[scan.ids.length - 1] ?? '0');
    if (orphan) scan.problems.push(problem(orphan, month, EntryProblemKind.ORPHAN_POSTINGS));
    scan.problems = scan.problems.slice(0, MAX_PROBLEMS);
    return scan;
  }

  /** The month's entries after `after` up to `last` (to the end when null), batch by batch. */
  private async scanRange(
    manager: EntityManager,
    townshipId: string,
    month: string,
    after: string,
    last: string | null,
    withLeaves: boolean,
  ): Promise<MonthScan> {
    const scan: MonthScan = { ids: [], leaves: Buffer.alloc(0), unbalanced: [], problems: [] };
    const leafChunks: Buffer[] = [];
    // The planner overrates a batch (it cannot tell a batch's postings from the month's) and
    // would compile it just in time, costing more than the batch itself.
    await this.repository.disableJit(manager);
    for (;;) {
      const batch = await this.repository.scanBatch(manager, { townshipId, period: monthToPeriodDate(month), after, limit: SCAN_BATCH, withLeaves, last });
      if (!batch.entries) break;
      scan.ids.push(...batch.ids.split(','));
      if (withLeaves) leafChunks.push(batch.leaves);
      scan.unbalanced.push(...(batch.unbalanced ?? []).map((u) => ({ entryId: u.entryId, postings: u.postings, total: Number(u.total) })));
      for (const id of batch.altered ?? []) scan.problems.push(problem(id, month, EntryProblemKind.CONTENT_CHANGED));
      for (const id of batch.orphans ?? []) scan.problems.push(problem(id, month, EntryProblemKind.ORPHAN_POSTINGS));
      if (batch.entries < SCAN_BATCH) break;
      after = batch.lastId;
    }
    scan.leaves = Buffer.concat(leafChunks);
    return scan;
  }

  /** A sealed month against the ledger now: the same entries, the same leaves, the same tree, the chain intact. */
  private async checkSealedMonth(
    manager: EntityManager,
    townshipId: string,
    month: string,
    scan: MonthScan,
    expectedPrevious: Buffer,
    problems: EntryProblem[],
  ): Promise<{ check: SealCheck; storedSeal: Buffer }> {
    const stored = await this.repository.sealedTree(manager, townshipId, monthToPeriodDate(month));
    const { tree, root } = merkleTree(scan.leaves);
    if (!stored) {
      const why = `${month} 的封存记录不见了（封存链断开）`;
      return { check: { month, entryCount: 0, seal: '', recomputedSeal: '', ok: false, problem: why }, storedSeal: expectedPrevious };
    }
    const recomputedSeal = chainSeal(stored.previousSeal, root);
    const found: EntryProblem[] = [];
    const storedIds: string[] = stored.entryIds;
    // Both lists ascend: walk them together.
    for (let a = 0, b = 0; (a < storedIds.length || b < scan.ids.length) && found.length < MAX_PROBLEMS; ) {
      const order = a === storedIds.length ? 1 : b === scan.ids.length ? -1 : compareIds(storedIds[a], scan.ids[b]);
      if (order < 0) found.push(problem(storedIds[a++], month, EntryProblemKind.MISSING_FROM_SEAL));
      else if (order > 0) found.push(problem(scan.ids[b++], month, EntryProblemKind.ADDED_AFTER_SEAL));
      else {
        const sealedLeaf = stored.tree.subarray(a * HASH_BYTES, (a + 1) * HASH_BYTES);
        if (!sealedLeaf.equals(scan.leaves.subarray(b * HASH_BYTES, (b + 1) * HASH_BYTES))) {
          found.push(problem(scan.ids[b], month, EntryProblemKind.CHANGED_AFTER_SEAL));
        }
        a++;
        b++;
      }
    }
    problems.push(...found);
    let why: string | null = null;
    if (found.length) why = `${month} 封存校验失败：${found[0].description}`;
    else if (!stored.previousSeal.equals(expectedPrevious)) why = `${month} 的上月封存值与上个月的封存值不符（封存链断开）`;
    else if (!recomputedSeal.equals(stored.seal) || !tree.equals(stored.tree)) why = `${month} 的封存记录本身被改动（默克尔树或封存值与记账不符）`;
    return {
      check: {
        month,
        entryCount: stored.entryCount,
        seal: stored.seal.toString('hex'),
        recomputedSeal: recomputedSeal.toString('hex'),
        ok: why === null,
        problem: why,
      },
      storedSeal: stored.seal,
    };
  }

  // ---- reading seals and proofs ---------------------------------------------

  async seal(manager: EntityManager, townshipId: string, month: string): Promise<StoredSeal | null> {
    return (await this.repository.seal(manager, townshipId, monthToPeriodDate(month))) ?? null;
  }

  /** The seals of a township's months, keyed by month. */
  async seals(manager: EntityManager, townshipId: string, months: string[]): Promise<Map<string, StoredSeal>> {
    const rows = await this.repository.seals(manager, townshipId, months.map(monthToPeriodDate));
    return new Map(rows.map((r) => [r.month, r]));
  }

  /** The canonical form of one entry, as it is in the ledger now. */
  async sealedEntry(manager: EntityManager, entryId: string): Promise<SealedEntry & { month: string }> {
    const row = await this.repository.sealedEntry(manager, entryId);
    if (!row) throw new DomainError('NOT_FOUND', '未找到该笔记账');
    return row;
  }

  /**
   * The proof that an entry is in its month's seal: the entry's canonical form as it is
   * now, and the path of sibling hashes from the stored tree. Checking it (proofProblem)
   * fails if the entry was changed after sealing.
   */
  async proof(manager: EntityManager, entryId: string): Promise<SealProof & { entryId: string; month: string; townshipId: string }> {
    const entry = await this.sealedEntry(manager, entryId);
    const seal = await this.repository.sealOfEntry(manager, entry.townshipId, monthToPeriodDate(entry.month), entryId);
    if (!seal) throw new DomainError('MONTH_NOT_SEALED');
    if (!seal.position) throw new DomainError('LEDGER_SEAL_BROKEN', `账本封存校验失败：${entry.month} 第 ${entryId} 笔记账不在该月的封存中`);
    const leafIndex = seal.position - 1;
    const path = auditPath(seal.entryCount, leafIndex);
    const nodes = path.length
      ? await this.repository.treeNodes(manager, entry.townshipId, monthToPeriodDate(entry.month), path.map((p) => p.offset))
      : [];
    return {
      entryId,
      month: entry.month,
      townshipId: entry.townshipId,
      canonicalEntry: canonicalEntry({ ...entry, postings: entry.postings.map((p) => ({ accountId: p.accountId, amount: Number(p.amount) })) }),
      leafIndex,
      leafCount: seal.entryCount,
      path: path.map((p, i) => ({ side: p.side, hash: nodes[i] })),
      merkleRoot: seal.merkleRoot,
      previousSeal: seal.previousSeal,
      seal: seal.seal,
    };
  }
}

function problem(entryId: string, month: string, kind: EntryProblemKind): EntryProblem {
  return { entryId, month, problem: kind, description: `${month} 第 ${entryId} 笔记账${PROBLEM_TEXT[kind]}` };
}

/** Orders decimal ids without converting them. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
