import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BOOKED_AT_SQL, ENTRY_FORMAT, HASH_BYTES, SealedEntry } from './ledger-seal';

export interface StoredSeal {
  month: string;
  entryCount: number;
  merkleRoot: string;
  previousSeal: string;
  seal: string;
  sealedAt: Date;
}

/** A stored seal as the check needs it: the ids, the tree and the hashes as bytes. */
export interface StoredSealTree {
  entryCount: number;
  entryIds: string[];
  tree: Buffer;
  merkleRoot: Buffer;
  previousSeal: Buffer;
  seal: Buffer;
}

/** The first and last month (YYYY-MM) a township posted into, closed and sealed (null where none). */
export interface MonthSpans {
  firstPosted: string | null;
  lastPosted: string | null;
  firstClosed: string | null;
  lastClosed: string | null;
  firstSealed: string | null;
  lastSealed: string | null;
}

const SEAL_COLUMNS = `to_char(period, 'YYYY-MM') AS month, entry_count AS "entryCount", encode(merkle_root, 'hex') AS "merkleRoot",
  encode(previous_seal, 'hex') AS "previousSeal", encode(seal, 'hex') AS seal, sealed_at AS "sealedAt"`;

/**
 * The SQL of the sealed months (`ledger_seal`) and of scanning a month's entries for them.
 * LedgerSealService keeps the checks; `period` arguments are a month's first day.
 */
@Injectable()
export class LedgerSealRepository {
  async monthSpans(m: EntityManager, townshipId: string): Promise<MonthSpans> {
    const [range] = await m.query(
      `SELECT (SELECT to_char(min(period), 'YYYY-MM') FROM posting WHERE township_id = $1) AS "firstPosted",
              (SELECT to_char(max(period), 'YYYY-MM') FROM posting WHERE township_id = $1) AS "lastPosted",
              (SELECT to_char(min(period), 'YYYY-MM') FROM ledger_period WHERE township_id = $1) AS "firstClosed",
              (SELECT to_char(max(period), 'YYYY-MM') FROM ledger_period WHERE township_id = $1) AS "lastClosed",
              (SELECT to_char(min(period), 'YYYY-MM') FROM ledger_seal WHERE township_id = $1) AS "firstSealed",
              (SELECT to_char(max(period), 'YYYY-MM') FROM ledger_seal WHERE township_id = $1) AS "lastSealed"`,
      [townshipId],
    );
    return range;
  }

  /** The last entry id of each of `parts` equal id ranges of the month's entries, in order. */
  async idRangeEnds(m: EntityManager, townshipId: string, period: string, parts: number): Promise<string[]> {
    const rows: { last: string }[] = await m.query(
      `SELECT max(id)::text AS last FROM (SELECT id, ntile($3) OVER (ORDER BY id) AS part FROM journal_entry WHERE township_id = $1 AND period = $2) p
       GROUP BY part ORDER BY part`,
      [townshipId, period, parts],
    );
    return rows.map((r) => r.last);
  }

  /** The planner overrates a batch (it cannot tell a batch's postings from the month's) and would compile it just in time, costing more than the batch itself. */
  async disableJit(m: EntityManager): Promise<void> {
    await m.query(`SET LOCAL jit = off`);
  }

  /** One batch of the month's entries after `after` (up to `last` when given), checked and optionally hashed into leaves: see SCAN_SQL. */
  async scanBatch(
    m: EntityManager,
    q: { townshipId: string; period: string; after: string; limit: number; withLeaves: boolean; last: string | null },
  ): Promise<ScanBatch> {
    const [batch]: ScanBatch[] = await m.query(SCAN_SQL, [q.townshipId, q.period, q.after, q.limit, q.withLeaves, q.last]);
    return batch;
  }

  /** The first posting of the month past entry `after` whose entry does not exist (deleted with its postings left); null if none. */
  async firstOrphanAfter(m: EntityManager, townshipId: string, period: string, after: string): Promise<string | null> {
    const [tail] = await m.query(
      `SELECT min(p.entry_id)::text AS "entryId" FROM posting p
       WHERE p.township_id = $1 AND p.period = $2 AND p.entry_id > $3
         AND NOT EXISTS (SELECT 1 FROM journal_entry e WHERE e.id = p.entry_id)`,
      [townshipId, period, after],
    );
    return tail.entryId;
  }

  async sealedTree(m: EntityManager, townshipId: string, period: string): Promise<StoredSealTree | undefined> {
    const [stored] = await m.query(
      `SELECT entry_count AS "entryCount", entry_ids::text[] AS "entryIds", tree, merkle_root AS "merkleRoot",
              previous_seal AS "previousSeal", seal
       FROM ledger_seal WHERE township_id = $1 AND period = $2`,
      [townshipId, period],
    );
    return stored;
  }

  async seal(m: EntityManager, townshipId: string, period: string): Promise<StoredSeal | undefined> {
    const [row] = await m.query(`SELECT ${SEAL_COLUMNS} FROM ledger_seal WHERE township_id = $1 AND period = $2`, [townshipId, period]);
    return row;
  }

  seals(m: EntityManager, townshipId: string, periods: string[]): Promise<StoredSeal[]> {
    return m.query(`SELECT ${SEAL_COLUMNS} FROM ledger_seal WHERE township_id = $1 AND period = ANY($2::date[])`, [townshipId, periods]);
  }

  /** The township's latest seal (the one a new seal chains to); undefined before the first. */
  async latestSeal(m: EntityManager, townshipId: string): Promise<{ month: string; seal: Buffer } | undefined> {
    const [latest] = await m.query(
      `SELECT to_char(period, 'YYYY-MM') AS month, seal FROM ledger_seal WHERE township_id = $1 ORDER BY period DESC LIMIT 1`,
      [townshipId],
    );
    return latest;
  }

  async insertSeal(
    m: EntityManager,
    s: { townshipId: string; period: string; entryIds: string[]; tree: Buffer; root: Buffer; previous: Buffer; seal: Buffer },
  ): Promise<void> {
    await m.query(
      `INSERT INTO ledger_seal (township_id, period, entry_count, entry_ids, tree, merkle_root, previous_seal, seal)
       VALUES ($1, $2, $3, $4::int8[], $5, $6, $7, $8)`,
      [s.townshipId, s.period, s.entryIds.length, s.entryIds, s.tree, s.root, s.previous, s.seal],
    );
  }

  /** One entry in the form canonicalEntry takes (postings' amounts as the driver returns them), with its month; undefined if none. */
  async sealedEntry(m: EntityManager, entryId: string): Promise<(SealedEntry & { month: string }) | undefined> {
    const [row] = await m.query(
      `SELECT e.id::text, e.township_id AS "townshipId", e.kind, e.memo, e.reference_type AS "referenceType",
              e.reference_id AS "referenceId", ${BOOKED_AT_SQL} AS "bookedAt", e.reverses_entry_id::text AS "reversesEntryId",
              to_char(e.period, 'YYYY-MM') AS month,
              (SELECT json_agg(json_build_object('accountId', p.account_id, 'amount', p.amount)) FROM posting p WHERE p.entry_id = e.id) AS postings
       FROM journal_entry e WHERE e.id = $1`,
      [entryId],
    );
    return row;
  }

  /** The month's seal (hashes in hex) and the entry's 1-based position in it (null if absent); undefined if the month is not sealed. */
  async sealOfEntry(
    m: EntityManager,
    townshipId: string,
    period: string,
    entryId: string,
  ): Promise<{ entryCount: number; position: number | null; merkleRoot: string; previousSeal: string; seal: string } | undefined> {
    const [seal] = await m.query(
      `SELECT entry_count AS "entryCount", array_position(entry_ids, $3::int8) AS position, encode(merkle_root, 'hex') AS "merkleRoot",
              encode(previous_seal, 'hex') AS "previousSeal", encode(seal, 'hex') AS seal
       FROM ledger_seal WHERE township_id = $1 AND period = $2`,
      [townshipId, period, entryId],
    );
    return seal;
  }

  /** The hashes (hex) at these byte offsets of the month's stored tree, in the order given. */
  async treeNodes(m: EntityManager, townshipId: string, period: string, offsets: number[]): Promise<string[]> {
    const rows: { hash: string }[] = await m.query(
      `SELECT encode(substring(s.tree FROM o.pos + 1 FOR ${HASH_BYTES}), 'hex') AS hash
       FROM ledger_seal s, unnest($3::int[]) WITH ORDINALITY AS o(pos, n)
       WHERE s.township_id = $1 AND s.period = $2 ORDER BY o.n`,
      [townshipId, period, offsets],
    );
    return rows.map((r) => r.hash);
  }
}

export interface ScanBatch {
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
