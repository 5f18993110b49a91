import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 12: a posting is one round trip. `ledger_post(...)` books one entry or a batch of
 * entries in a single call: replays by idempotency key, the booking time, the period lock
 * and closed-month check, rule 1 for every entry, and the entries with their postings in
 * one statement, whose posting trigger moves the balances (shard pick and the
 * never-negative CHECK, as before).
 *
 * The triggers that re-check rules 1 and 6 stay for every other writer (a script, psql,
 * the app role's own SQL). They are skipped only while `ledger_post` runs, which already
 * checked the same things: their WHEN clause asks `ledger_post_running()`, true only when
 * the statement runs as the ledger's owner (current_user inside a SECURITY DEFINER
 * function owned by it) AND the setting `cb.ledger_post` is on (the function turns it on
 * around its one insert statement, transaction-local). Anyone may set
 * `cb.ledger_post`, but only the owner's statements pass the first half, so the app role
 * setting it changes nothing; the owner can disable triggers anyway. The posting trigger
 * (balance moves, CB004) and the constraints are never skipped. If the two halves ever
 * disagreed (ownership moved), the triggers would simply run: the function inserts entry
 * and postings in one statement, which they accept.
 */
export class LedgerPost1764900000000 implements MigrationInterface {
  name = 'LedgerPost1764900000000';

  async up(q: QueryRunner): Promise<void> {
    // The owner's name is fixed into ledger_post_running() when it is made: a constant
    // compare is all the WHEN clause costs on every ledger insert.
    await q.query(`
      DO $do$ BEGIN
        EXECUTE format($f$
          CREATE FUNCTION ledger_post_running() RETURNS boolean LANGUAGE sql STABLE AS $$
            SELECT current_user = %L::name AND current_setting('cb.ledger_post', true) IS NOT DISTINCT FROM 'on'
          $$ $f$, current_user);
      END $do$;
    `);

    await q.query(`
      DROP TRIGGER journal_entry_before_insert ON journal_entry;
      CREATE TRIGGER journal_entry_before_insert BEFORE INSERT ON journal_entry
        FOR EACH ROW WHEN (NOT ledger_post_running()) EXECUTE FUNCTION journal_entry_before_insert();
      DROP TRIGGER journal_entry_balanced ON journal_entry;
      CREATE TRIGGER journal_entry_balanced AFTER INSERT ON journal_entry
        REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT
        WHEN (NOT ledger_post_running()) EXECUTE FUNCTION journal_entry_balanced();
      DROP TRIGGER posting_balanced ON posting;
      CREATE TRIGGER posting_balanced AFTER INSERT ON posting
        REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT
        WHEN (NOT ledger_post_running()) EXECUTE FUNCTION posting_balanced();
    `);

    // Entry i of the batch is (p_keys[i], p_hashes[i], ...); line j belongs to entry
    // p_line_entries[j]. One row back per entry, by ordinal; `created` false is a replay
    // (the caller compares content hashes: same content returns the original entry).
    await q.query(`
      CREATE FUNCTION ledger_post(
        p_township uuid, p_created_by uuid, p_booked_at timestamptz,
        p_keys text[], p_hashes text[], p_kinds text[], p_memos text[],
        p_reference_types text[], p_reference_ids text[], p_reverses bigint[],
        p_line_entries int[], p_line_accounts uuid[], p_line_amounts bigint[])
      RETURNS TABLE (ordinal int, entry_id bigint, created boolean, entry_booked_at timestamptz, entry_period date, entry_hash text)
      LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, public, pg_temp
      AS $$
      DECLARE
        n int := coalesce(cardinality(p_keys), 0);
        booked timestamptz;
        booked_period date;
        inserted bigint[];
        replays int;
        conflicting boolean;
      BEGIN
        IF n = 0 OR EXISTS (
             SELECT 1 FROM unnest(ARRAY[cardinality(p_hashes), cardinality(p_kinds), cardinality(p_memos),
                                        cardinality(p_reference_types), cardinality(p_reference_ids), cardinality(p_reverses)]) c
             WHERE c IS DISTINCT FROM n)
           OR cardinality(p_line_entries) IS DISTINCT FROM cardinality(p_line_accounts)
           OR cardinality(p_line_entries) IS DISTINCT FROM cardinality(p_line_amounts)
           OR (SELECT count(DISTINCT k) FROM unnest(p_keys) k) <> n
           OR EXISTS (SELECT 1 FROM unnest(p_line_entries) e WHERE e IS NULL OR e NOT BETWEEN 1 AND n) THEN
          RAISE EXCEPTION 'ledger_post: malformed batch (arrays of unequal length, repeated keys or lines of no entry)'
            USING ERRCODE = 'CB002';
        END IF;

        -- A key already booked is answered as booked, without the checks below, so a
        -- replay returns its entry even after the entry's month was closed. A key booked
        -- with other content books nothing at all: the caller raises IDEMPOTENCY_CONFLICT.
        SELECT count(*), coalesce(bool_or(e.content_hash <> p_hashes[k.i]), false) INTO replays, conflicting
        FROM unnest(p_keys) WITH ORDINALITY AS k(key, i)
        JOIN public.journal_entry e ON e.township_id = p_township AND e.idempotency_key = k.key;
        IF replays < n AND NOT conflicting THEN
          -- Rule 6, as journal_entry_before_insert checks it for other writers.
          IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION 'ledger writes must run at READ COMMITTED isolation' USING ERRCODE = 'CB005';
          END IF;
          IF p_booked_at IS NULL THEN
            booked := clock_timestamp();
          -- session_user: inside this function current_user is always the owner.
          ELSIF NOT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'public.journal_entry'::regclass), 'MEMBER') THEN
            RAISE EXCEPTION 'only the ledger''s owner may date an entry; the booking time is the database''s clock'
              USING ERRCODE = 'CB007';
          ELSIF p_booked_at > clock_timestamp() + interval '1 minute' THEN
            RAISE EXCEPTION 'an entry cannot be booked in the future' USING ERRCODE = 'CB006';
          ELSE
            booked := p_booked_at;
          END IF;
          booked_period := ledger_period_of(booked);
          PERFORM pg_advisory_xact_lock_shared(ledger_period_lock_key(p_township, booked_period));
          IF EXISTS (SELECT 1 FROM public.ledger_period l WHERE l.township_id = p_township AND l.period = booked_period) THEN
            RAISE EXCEPTION 'period % is closed', to_char(booked_period, 'YYYY-MM') USING ERRCODE = 'CB001';
          END IF;

          -- Rule 1, as ledger_assert_entries_balanced checks it for other writers.
          IF EXISTS (
            SELECT 1 FROM generate_series(1, n) AS i
            LEFT JOIN unnest(p_line_entries, p_line_amounts) AS l(e, amount) ON l.e = i
            GROUP BY i HAVING count(l.e) < 2 OR coalesce(sum(l.amount), 0) <> 0
          ) THEN
            RAISE EXCEPTION 'ledger_post: every entry needs at least two postings that sum to zero' USING ERRCODE = 'CB002';
          END IF;

          -- Only for the one statement below. (A SET clause on the function would be
          -- tidier, but PostgreSQL 15 lets only a superuser put a custom setting there.)
          PERFORM set_config('cb.ledger_post', 'on', true);
          -- One statement: the entries, then their postings in account order (every
          -- transaction locks balances in the same order). A key a concurrent transaction
          -- booked meanwhile is skipped here and answered below as a replay.
          WITH entries AS (
            INSERT INTO public.journal_entry (township_id, idempotency_key, content_hash, kind, memo, reference_type,
                                              reference_id, reverses_entry_id, created_by, booked_at, period)
            SELECT p_township, k.key, p_hashes[k.i], p_kinds[k.i], p_memos[k.i], p_reference_types[k.i],
                   p_reference_ids[k.i], p_reverses[k.i], p_created_by, booked, booked_period
            FROM unnest(p_keys) WITH ORDINALITY AS k(key, i)
            ORDER BY k.i
            ON CONFLICT ON CONSTRAINT journal_entry_idempotency_key DO NOTHING
            RETURNING id, idempotency_key
          ), lines AS (
            INSERT INTO public.posting (entry_id, township_id, account_id, amount, booked_at, period)
            SELECT entries.id, p_township, l.account, l.amount, booked, booked_period
            FROM unnest(p_line_entries, p_line_accounts, p_line_amounts) AS l(e, account, amount)
            JOIN entries ON entries.idempotency_key = p_keys[l.e]
            ORDER BY l.account, entries.id
            RETURNING 1
          )
          SELECT array_agg(entries.id) INTO inserted FROM entries;
          PERFORM set_config('cb.ledger_post', 'off', true);
        END IF;

        RETURN QUERY
          SELECT k.i::int, e.id, e.id = ANY (coalesce(inserted, '{}')), e.booked_at, e.period, e.content_hash
          FROM unnest(p_keys) WITH ORDINALITY AS k(key, i)
          JOIN public.journal_entry e ON e.township_id = p_township AND e.idempotency_key = k.key
          ORDER BY k.i;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION ledger_post;
      DROP TRIGGER journal_entry_before_insert ON journal_entry;
      CREATE TRIGGER journal_entry_before_insert BEFORE INSERT ON journal_entry
        FOR EACH ROW EXECUTE FUNCTION journal_entry_before_insert();
      DROP TRIGGER journal_entry_balanced ON journal_entry;
      CREATE TRIGGER journal_entry_balanced AFTER INSERT ON journal_entry
        REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION journal_entry_balanced();
      DROP TRIGGER posting_balanced ON posting;
      CREATE TRIGGER posting_balanced AFTER INSERT ON posting
        REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION posting_balanced();
      DROP FUNCTION ledger_post_running;
    `);
  }
}
