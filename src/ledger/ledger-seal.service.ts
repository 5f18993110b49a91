import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain.error';
import { addMonths, monthToPeriodDate } from '../common/time/shanghai-month';
import { auditPath, BOOKED_AT_SQL, canonicalEntry, chainSeal, ENTRY_FORMAT, GENESIS_SEAL, HASH_BYTES, merkleTree, SealedEntry, SealProof } from './ledger-seal';

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

export interface StoredSeal {
  month: string;
  entryCount: number;
  merkleRoot: string;
  previousSeal: string;
  seal: string;
  sealedAt: Date;
}

interface MonthScan {
  ids: string[];
  leaves: Buffer;
  unbalanced: LedgerAudit['unbalancedEntries'];
  problems: EntryProblem[];
}

const SEAL_COLUMNS = `to_char(period, 'YYYY-MM') AS month, entry_count AS "entryCount", encode(merkle_root, 'hex') AS "merkleRoot",
  encode(previous_seal, 'hex') AS "previousSeal", encode(seal, 'hex') AS seal, sealed_at AS "sealedAt"`;

/**
 * Reads for the sealed months (see ledger-seal.ts for the format): scanning a month's
 * entries into leaves while checking each one (postings balance, content hash), checking
 * sealed months against the ledger, proofs, and the seals themselves. LedgerService
 * writes the seals.
 */
@Injectable()
export class LedgerSealService {
  /**
   * Checks every entry of the township: postings balance, content hash recomputed, and
   * every sealed month recomputed against its seal. With `sealThrough`, also returns the
   * closed months up to it that are not sealed yet, with their leaves, as long as no
   * problem was found in them or before them (a seal must never vouch for a broken month).
   */
  async audit(manager: EntityManager, townshipId: string, sealThrough?: string): Promise<LedgerAudit> {
    const [range] = await manager.query(
      `SELECT (SELECT to_char(min(period), 'YYYY-MM') FROM posting WHERE township_id = $1) AS "firstPosted",
              (SELECT to_char(max(period), 'YYYY-MM') FROM posting WHERE township_id = $1) AS "lastPosted",
              (SELECT to_char(min(period), 'YYYY-MM') FROM ledger_period WHERE township_id = $1) AS "firstClosed",
              (SELECT to_char(max(period), 'YYYY-MM') FROM ledger_period WHERE township_id = $1) AS "lastClosed",
              (SELECT to_char(min(period), 'YYYY-MM') FROM ledger_seal WHERE township_id = $1) AS "firstSealed",
              (SELECT to_char(max(period), 'YYYY-MM') FROM ledger_seal WHERE township_id = $1) AS "lastSealed"`,
      [townshipId],
    );
    const audit: LedgerAudit = { entriesChecked: 0, unbalancedEntries: [], entryProblems: [], sealedMonths: [], sealable: [] };
    const months = [range.firstPosted, range.firstClosed, range.lastPosted, range.lastClosed].filter(Boolean).sort();
    if (!months.length) return audit;
    let previousSeal: Buffer = GENESIS_SEAL;
    let clean = true;
    for (let month = months[0]; month <= months[months.length - 1]; month = addMonths(month, 1)) {
      const sealed = range.lastSealed !== null && month >= range.firstSealed && month <= range.lastSealed;
      const closed = range.firstClosed !== null && month >= range.firstClosed && month <= range.lastClosed;
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
    const bounds: (string | null)[] = closed
      ? (
          await manager.query(
            `SELECT max(id)::text AS last FROM (SELECT id, ntile($3) OVER (ORDER BY id) AS part FROM journal_entry WHERE township_id = $1 AND period = $2) p
             GROUP BY part ORDER BY part`,
            [townshipId, period, SCAN_STREAMS],
          )
        ).map((r: { last: string }) => r.last)
      : [null];
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
    const [tail] = await manager.query(
      // Postings past the last entry whose entry does not exist (deleted with its postings left).
      `SELECT min(p.entry_id)::text AS "entryId" FROM posting p
       WHERE p.township_id = $1 AND p.period = $2 AND p.entry_id > $3
         AND NOT EXISTS (SELECT 1 FROM journal_entry e WHERE e.id = p.entry_id)`,
      [townshipId, period, scan.ids[scan.ids.length - 1] ?? '0'],
    );
    if (tail.entryId) scan.problems.push(problem(tail.entryId, month, EntryProblemKind.ORPHAN_POSTINGS));
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
    await manager.query(`SET LOCAL jit = off`);
    for (;;) {
      const [batch]: ScanBatch[] = await manager.query(SCAN_SQL, [townshipId, monthToPeriodDate(month), after, SCAN_BATCH, withLeaves, last]);
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
    const [stored] = await manager.query(
      `SELECT entry_count AS "entryCount", entry_ids::text[] AS "entryIds", tree, merkle_root AS "merkleRoot",
              previous_seal AS "previousSeal", seal
       FROM ledger_seal WHERE township_id = $1 AND period = $2`,
      [townshipId, monthToPeriodDate(month)],
    );
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
    const [row] = await manager.query(`SELECT ${SEAL_COLUMNS} FROM ledger_seal WHERE township_id = $1 AND period = $2`, [
      townshipId,
      monthToPeriodDate(month),
    ]);
    return row ?? null;
  }

  /** The seals of a township's months, keyed by month. */
  async seals(manager: EntityManager, townshipId: string, months: string[]): Promise<Map<string, StoredSeal>> {
    const rows: StoredSeal[] = await manager.query(
      `SELECT ${SEAL_COLUMNS} FROM ledger_seal WHERE township_id = $1 AND period = ANY($2::date[])`,
      [townshipId, months.map(monthToPeriodDate)],
    );
    return new Map(rows.map((r) => [r.month, r]));
  }

  /** The canonical form of one entry, as it is in the ledger now. */
  async sealedEntry(manager: EntityManager, entryId: string): Promise<SealedEntry & { month: string }> {
    const [row] = await manager.query(
      `SELECT e.id::text, e.township_id AS "townshipId", e.kind, e.memo, e.reference_type AS "referenceType",
              e.reference_id AS "referenceId", ${BOOKED_AT_SQL} AS "bookedAt", e.reverses_entry_id::text AS "reversesEntryId",
              to_char(e.period, 'YYYY-MM') AS month,
              (SELECT json_agg(json_build_object('accountId', p.account_id, 'amount', p.amount)) FROM posting p WHERE p.entry_id = e.id) AS postings
       FROM journal_entry e WHERE e.id = $1`,
      [entryId],
    );
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
    const [seal] = await manager.query(
      `SELECT entry_count AS "entryCount", array_position(entry_ids, $3::int8) AS position, encode(merkle_root, 'hex') AS "merkleRoot",
              encode(previous_seal, 'hex') AS "previousSeal", encode(seal, 'hex') AS seal
       FROM ledger_seal WHERE township_id = $1 AND period = $2`,
      [entry.townshipId, monthToPeriodDate(entry.month), entryId],
    );
    if (!seal) throw new DomainError('MONTH_NOT_SEALED');
    if (!seal.position) throw new DomainError('LEDGER_SEAL_BROKEN', `账本封存校验失败：${entry.month} 第 ${entryId} 笔记账不在该月的封存中`);
    const leafIndex = seal.position - 1;
    const path = auditPath(seal.entryCount, leafIndex);
    const nodes: { hash: string }[] = path.length
      ? await manager.query(
          `SELECT encode(substring(s.tree FROM o.pos + 1 FOR ${HASH_BYTES}), 'hex') AS hash
           FROM ledger_seal s, unnest($3::int[]) WITH ORDINALITY AS o(pos, n)
           WHERE s.township_id = $1 AND s.period = $2 ORDER BY o.n`,
          [entry.townshipId, monthToPeriodDate(entry.month), path.map((p) => p.offset)],
        )
      : [];
    return {
      entryId,
      month: entry.month,
      townshipId: entry.townshipId,
      canonicalEntry: canonicalEntry({ ...entry, postings: entry.postings.map((p) => ({ accountId: p.accountId, amount: Number(p.amount) })) }),
      leafIndex,
      leafCount: seal.entryCount,
      path: path.map((p, i) => ({ side: p.side, hash: nodes[i].hash })),
      merkleRoot: seal.merkleRoot,
      previousSeal: seal.previousSeal,
      seal: seal.seal,
    };
  }
}

interface ScanBatch {
  entries: number;
  lastId: string;
  /** The batch's entry ids, ascending, comma-separated. */
  ids: string;
  /** Their leaves, 32 bytes each, in the same order (when asked for). */
  leaves: Buffer;
  unbalanced: { entryId: string; postings: number; total: string }[] | null;
  altered: string[] | null;
  orphans: string[] | null;
}

/**
 * One batch of a month's entries after an id ($1 township, $2 period, $3 after, $4 limit,
 * $5 with leaves, $6 the last id of the range or null), each with its postings as JSON text ordered by account id and amount,
 * its kind, memo and reference as JSON values (to_json escapes exactly as JSON.stringify)
 * and its reversal link. From these, in the database:
 * - CONTENT_TEXT, the text contentHash (ledger.rules.ts) hashes: an entry whose stored
 *   content_hash differs is `altered`;
 * - LEAF, the leaf of canonicalEntry (ledger-seal.ts), for sealing and checking seals.
 * The two texts are the TypeScript ones character for character; ledger-seal.test.ts holds
 * them to each other for memos of every kind of character. Also returned: entries whose
 * postings do not balance, and postings in the batch's id range whose entry is missing.
 */
/** contentHash's text (ledger.rules.ts): [kind, memo, reference type, reference id, reversed entry id, [postings]]. */
const CONTENT_TEXT = `'[' || what || ',' || reverses || ',[' || lines || ']]'`;
/** canonicalEntry's text (ledger-seal.ts), and the leaf: SHA-256 of 0x00 and that text. */
const LEAF = `sha256('\\x00'::bytea || convert_to('["${ENTRY_FORMAT}",' || to_json($1::text) || ',"' || id || '",' || what || ',"' || booked_at || '",' || reverses || ',[' || lines || ']]', 'UTF8'))`;

const SCAN_SQL = `
  WITH batch AS (
    SELECT id, kind, memo, reference_type, reference_id, booked_at, reverses_entry_id, content_hash
    FROM journal_entry WHERE township_id = $1 AND period = $2 AND id > $3 AND ($6::int8 IS NULL OR id <= $6) ORDER BY id LIMIT $4
  ), lines AS (
    SELECT entry_id, count(*)::int AS postings, sum(amount) AS total,
           string_agg('["' || account_id || '",' || amount || ']', ',' ORDER BY account_id, amount) AS json
    FROM posting
    WHERE township_id = $1 AND period = $2 AND entry_id > $3 AND entry_id <= (SELECT max(id) FROM batch)
    GROUP BY entry_id
  ), entry AS (
    SELECT b.id, b.content_hash, coalesce(l.postings, 0) AS postings, coalesce(l.total, 0) AS total,
           concat_ws(',', to_json(b.kind), to_json(b.memo), coalesce(to_json(b.reference_type)::text, 'null'),
                     coalesce(to_json(b.reference_id)::text, 'null')) AS what,
           coalesce('"' || b.reverses_entry_id || '"', 'null') AS reverses,
           ${BOOKED_AT_SQL} AS booked_at,
           coalesce(l.json, '') AS lines
    FROM batch b LEFT JOIN lines l ON l.entry_id = b.id
  )
  SELECT count(*)::int AS entries, max(id)::text AS "lastId", string_agg(id::text, ',' ORDER BY id) AS ids,
         string_agg(${LEAF}, ''::bytea ORDER BY id) FILTER (WHERE $5) AS leaves,
         array_agg(id::text ORDER BY id) FILTER (WHERE encode(sha256(convert_to(${CONTENT_TEXT}, 'UTF8')), 'hex') IS DISTINCT FROM content_hash) AS altered,
         json_agg(json_build_object('entryId', id::text, 'postings', postings, 'total', total) ORDER BY id)
           FILTER (WHERE postings < 2 OR total <> 0) AS unbalanced,
         (SELECT array_agg(l.entry_id::text ORDER BY l.entry_id) FROM lines l WHERE NOT EXISTS (SELECT 1 FROM batch b WHERE b.id = l.entry_id)) AS orphans
  FROM entry`;

function problem(entryId: string, month: string, kind: EntryProblemKind): EntryProblem {
  return { entryId, month, problem: kind, description: `${month} 第 ${entryId} 笔记账${PROBLEM_TEXT[kind]}` };
}

/** Orders decimal ids without converting them. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
