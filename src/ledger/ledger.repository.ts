import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EntryKind, EntryReference, PostingLine } from './ledger.types';

/** An entry as the database books it: validated, with its content hash. */
export interface EntryToBook {
  idempotencyKey: string;
  contentHash: string;
  kind: EntryKind;
  memo: string;
  reference?: EntryReference;
  reversesEntryId?: string;
  lines: PostingLine[];
}

/** A batch of one township's entries, booked together by one actor at one time. */
export interface BatchToBook {
  townshipId: string;
  createdBy?: string | null;
  /** Only the ledger's owner may date entries (the database refuses everyone else). */
  bookedAt?: Date;
  entries: EntryToBook[];
}

/** What the database answers for each entry of a batch, in the batch's order. */
export interface BookedEntry {
  id: string;
  /** false: the key was booked before; `contentHash` is then the stored one. */
  created: boolean;
  bookedAt: Date;
  period: string;
  contentHash: string;
}

/**
 * The ledger's posting SQL. Every entry goes through `ledger_post` (migration
 * 1764900000000): one call books a whole batch with every rule checked in the database.
 */
@Injectable()
export class LedgerRepository {
  /** One round trip, whatever the batch size. Rows come back in the batch's order. */
  async book(manager: EntityManager, batch: BatchToBook): Promise<BookedEntry[]> {
    const { entries } = batch;
    const lineEntries: number[] = [];
    const lineAccounts: string[] = [];
    const lineAmounts: number[] = [];
    entries.forEach((entry, i) => {
      for (const line of entry.lines) {
        lineEntries.push(i + 1);
        lineAccounts.push(line.accountId);
        lineAmounts.push(line.amount);
      }
    });
    return manager.query(
      `SELECT entry_id::text AS id, created, entry_booked_at AS "bookedAt", to_char(entry_period, 'YYYY-MM') AS period,
              entry_hash AS "contentHash"
       FROM ledger_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        batch.townshipId,
        batch.createdBy ?? null,
        batch.bookedAt ?? null,
        entries.map((e) => e.idempotencyKey),
        entries.map((e) => e.contentHash),
        entries.map((e) => e.kind),
        entries.map((e) => e.memo),
        entries.map((e) => e.reference?.type ?? null),
        entries.map((e) => e.reference?.id ?? null),
        entries.map((e) => e.reversesEntryId ?? null),
        lineEntries,
        lineAccounts,
        lineAmounts,
      ],
    );
  }

  /**
   * An entry of the township with its postings, to reverse, read under the lock that
   * serialises reversals of one entry: a racing second reversal waits, then finds the first
   * by its key instead of failing on the UNIQUE (reverses_entry_id) index. A row lock would
   * need UPDATE on journal_entry, which the app role does not have. One statement: the lock
   * is taken once (the one row of the VALUES side), whether or not the entry exists; an
   * entry never changes, so reading it in the same snapshot as the lock is the same read.
   */
  async lockEntryToReverse(
    manager: EntityManager,
    townshipId: string,
    entryId: string,
  ): Promise<{ kind: EntryKind; reference: EntryReference | null; lines: PostingLine[] } | undefined> {
    const [row] = await manager.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('reversal:' || $2::text || ':' || $1::text, 0))::text AS locked,
              e.kind, e.reference_type AS "referenceType", e.reference_id AS "referenceId",
              (SELECT json_agg(json_build_object('accountId', p.account_id, 'amount', p.amount)) FROM posting p WHERE p.entry_id = e.id) AS lines
       FROM (VALUES (1)) AS one LEFT JOIN journal_entry e ON e.id = $1::bigint AND e.township_id = $2::uuid`,
      [entryId, townshipId],
    );
    if (!row.kind) return undefined;
    const reference = row.referenceType ? { type: row.referenceType, id: row.referenceId } : null;
    return { kind: row.kind, reference, lines: (row.lines ?? []).map((l: PostingLine) => ({ accountId: l.accountId, amount: Number(l.amount) })) };
  }

  /** The reversal an entry already has. */
  async reversalOf(manager: EntityManager, townshipId: string, entryId: string): Promise<{ id: string; bookedAt: Date; period: string }> {
    const [row] = await manager.query(
      `SELECT id::text, booked_at AS "bookedAt", to_char(period, 'YYYY-MM') AS period FROM journal_entry
       WHERE reverses_entry_id = $1 AND township_id = $2`,
      [entryId, townshipId],
    );
    return row;
  }

  /**
   * Every account's opening, movement and closing for a closed month, once (ON CONFLICT DO
   * NOTHING). Each entry of the month is classified by its kind (a reversal by the kind it
   * undoes): 'spent' is what SPEND entries and their refunds moved, 'expired' what EXPIRY
   * entries (the yearly reset) and their reversals moved, 'earned' all the rest (MINT,
   * ADJUSTMENT and their reversals). opening + earned - spent - expired = closing. In the
   * same pass, what mints moved ('minted', null when none did, and 'first_minted_at': see
   * migration 1766200000400), which the month's honours are read from.
   */
  async snapshotPeriod(manager: EntityManager, townshipId: string, period: string): Promise<void> {
    await manager.query(SNAPSHOT_SQL, [townshipId, period]);
  }
}

/**
 * See snapshotPeriod ($1 township, $2 period). Mints are most of a month's entries: only
 * the others (and the month's reversals, with the kind each undoes) are looked up, and a
 * posting whose entry is not among them is a mint's.
 */
const SNAPSHOT_SQL = `
  WITH opening AS (
    SELECT account_id, sum(amount) AS amount FROM posting WHERE township_id = $1 AND period < $2 GROUP BY account_id
  ),
  reversal AS (
    SELECT r.id, r.reverses_entry_id, o.kind AS undoes
    FROM journal_entry r JOIN journal_entry o ON o.id = r.reverses_entry_id
    WHERE r.township_id = $1 AND r.period = $2 AND r.kind = 'REVERSAL'
  ),
  other_entry AS (   -- the month's entries that are not mints, by the kind of entry they are or undo
    SELECT e.id, coalesce(rv.undoes, e.kind) AS flow
    FROM journal_entry e LEFT JOIN reversal rv ON rv.id = e.id
    WHERE e.township_id = $1 AND e.period = $2 AND e.kind <> 'MINT'
  ),
  movement AS (
    SELECT p.account_id,
           coalesce(sum(p.amount) FILTER (WHERE f.flow IS NULL OR f.flow NOT IN ('SPEND', 'EXPIRY')), 0) AS earned,
           coalesce(-sum(p.amount) FILTER (WHERE f.flow = 'SPEND'), 0) AS spent,
           coalesce(-sum(p.amount) FILTER (WHERE f.flow = 'EXPIRY'), 0) AS expired,
           sum(p.amount) FILTER (WHERE f.flow IS NULL OR f.flow = 'MINT') AS minted,
           min(p.booked_at) FILTER (WHERE f.id IS NULL AND p.amount > 0 AND undone.id IS NULL) AS first_minted_at
    FROM posting p
    LEFT JOIN other_entry f ON f.id = p.entry_id
    LEFT JOIN reversal undone ON undone.reverses_entry_id = p.entry_id
    WHERE p.township_id = $1 AND p.period = $2
    GROUP BY p.account_id
  )
  INSERT INTO account_period_balance (account_id, period, township_id, opening, earned, spent, expired, closing, minted, first_minted_at)
  SELECT a.id, $2::date, $1::uuid, coalesce(o.amount, 0), coalesce(mv.earned, 0), coalesce(mv.spent, 0), coalesce(mv.expired, 0),
         coalesce(o.amount, 0) + coalesce(mv.earned, 0) - coalesce(mv.spent, 0) - coalesce(mv.expired, 0), mv.minted, mv.first_minted_at
  FROM account a
  LEFT JOIN opening o ON o.account_id = a.id
  LEFT JOIN movement mv ON mv.account_id = a.id
  WHERE a.township_id = $1
  ON CONFLICT DO NOTHING`;
