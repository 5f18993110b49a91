import { MigrationInterface, QueryRunner } from 'typeorm';
import { LedgerPostCpu1766200000300 } from './1766200000300-ledger-post-cpu';

/**
 * Issue 12, a posting's PostgreSQL CPU, second pass. Measured one connection at a time
 * (pg_stat_user_functions with track_functions = 'pl', and the backend's CPU from /proc),
 * ledger_post spent most of its time outside the insert: every check was a query
 * (`SELECT … FROM unnest(…)` for the batch's shape, `generate_series … GROUP BY` for the
 * balance), and every call looked its keys up before inserting them. Each query starts
 * and ends the executor; PL/pgSQL evaluates a plain expression without it. What changed:
 *
 * - The batch's shape and each entry's balance are checked with expressions and a loop
 *   over the arrays (the repeated-keys check stays a query, and only for a batch).
 * - A single entry's key is looked up only when its insert skipped it (booked before or
 *   meanwhile) or a check refused it (a replay is still answered without the checks, even
 *   after its month was closed). A batch's keys are still looked up first: a batch with
 *   one conflicting key must book none of the others.
 * - A fresh single entry is answered with RETURN NEXT instead of a query, and the month's
 *   shared lock is taken by an assignment instead of PERFORM (a query).
 *
 * Every rule is checked as before, with the same error codes; the only difference a caller
 * can see is that a replay of a single entry takes the month's shared lock (it waits while
 * the month is being closed).
 */
export class LedgerPostFresh1766200000800 implements MigrationInterface {
  name = 'LedgerPostFresh1766200000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE OR REPLACE FUNCTION ledger_post(
  p_township uuid, p_created_by uuid, p_booked_at timestamptz,
  p_keys text[], p_hashes text[], p_kinds text[], p_memos text[],
  p_reference_types text[], p_reference_ids text[], p_reverses bigint[],
  p_line_entries int[], p_line_accounts uuid[], p_line_amounts bigint[])
RETURNS TABLE (ordinal int, entry_id bigint, created boolean, entry_booked_at timestamptz, entry_period date, entry_hash text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
-- Plan once per connection, not on every call (migration 1766200000300).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  n int := coalesce(cardinality(p_keys), 0);
  lines int := coalesce(cardinality(p_line_entries), 0);
  sums bigint[];
  counts int[];
  e int;
  booked timestamptz;
  booked_period date;
  inserted bigint[];
  replays int;
  conflicting boolean := false;
  refusal text;
  refusal_code text;
  flag text;
BEGIN
  -- The batch's shape, in plain expressions: PL/pgSQL evaluates them without starting the
  -- executor, which a query (SELECT … FROM unnest) costs on every call.
  IF n = 0 OR cardinality(p_hashes) IS DISTINCT FROM n OR cardinality(p_kinds) IS DISTINCT FROM n
     OR cardinality(p_memos) IS DISTINCT FROM n OR cardinality(p_reference_types) IS DISTINCT FROM n
     OR cardinality(p_reference_ids) IS DISTINCT FROM n OR cardinality(p_reverses) IS DISTINCT FROM n
     OR cardinality(p_line_accounts) IS DISTINCT FROM lines OR cardinality(p_line_amounts) IS DISTINCT FROM lines THEN
    RAISE EXCEPTION 'ledger_post: malformed batch (arrays of unequal length, repeated keys or lines of no entry)' USING ERRCODE = 'CB002';
  END IF;
  -- Nested, not ANDed: a condition holding a query is run as a query even when n = 1.
  IF n > 1 THEN
    IF (SELECT count(DISTINCT k) FROM unnest(p_keys) k) <> n THEN
      RAISE EXCEPTION 'ledger_post: malformed batch (arrays of unequal length, repeated keys or lines of no entry)' USING ERRCODE = 'CB002';
    END IF;
  END IF;
  -- Each entry's lines and sum, for rule 1 below (as ledger_assert_entries_balanced checks it
  -- for other writers); a NULL amount is left to the column's NOT NULL.
  sums := array_fill(0::bigint, ARRAY[n]);
  counts := array_fill(0, ARRAY[n]);
  FOR i IN 1 .. lines LOOP
    e := p_line_entries[i];
    IF e IS NULL OR e < 1 OR e > n THEN
      RAISE EXCEPTION 'ledger_post: malformed batch (arrays of unequal length, repeated keys or lines of no entry)' USING ERRCODE = 'CB002';
    END IF;
    counts[e] := counts[e] + 1;
    sums[e] := sums[e] + coalesce(p_line_amounts[i], 0);
  END LOOP;

  <<booking>>
  BEGIN
    -- A key already booked is answered as booked, without the checks below, so a replay
    -- returns its entry even after the entry's month was closed; a key booked with other
    -- content books nothing at all (the caller raises IDEMPOTENCY_CONFLICT). A batch's keys
    -- are looked up first; a single entry's only when a check refuses it or its insert
    -- skips it, so a fresh posting (the usual case) costs no lookup.
    IF n > 1 THEN
      SELECT count(*), coalesce(bool_or(j.content_hash <> p_hashes[k.i]), false) INTO replays, conflicting
      FROM unnest(p_keys) WITH ORDINALITY AS k(key, i)
      CROSS JOIN LATERAL (SELECT j.content_hash FROM public.journal_entry j
                          WHERE j.township_id = p_township AND j.idempotency_key = k.key OFFSET 0) AS j;
      EXIT booking WHEN replays = n OR conflicting;
    END IF;

    -- Rule 6 and the booking time, as journal_entry_before_insert checks them for other
    -- writers; a refusal is raised only once the key is known not to be a replay.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
      refusal := 'ledger writes must run at READ COMMITTED isolation'; refusal_code := 'CB005';
    ELSIF p_booked_at IS NULL THEN
      booked := clock_timestamp();
    ELSIF NOT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'public.journal_entry'::regclass), 'MEMBER') THEN
      refusal := 'only the ledger''s owner may date an entry; the booking time is the database''s clock'; refusal_code := 'CB007';
    ELSIF p_booked_at > clock_timestamp() + interval '1 minute' THEN
      refusal := 'an entry cannot be booked in the future'; refusal_code := 'CB006';
    ELSE
      booked := p_booked_at;
    END IF;
    IF refusal IS NULL THEN
      booked_period := ledger_period_of(booked);
      -- An assignment, not PERFORM: PERFORM runs a query, an assignment is a plain expression.
      flag := pg_advisory_xact_lock_shared(ledger_period_lock_key(p_township, booked_period))::text;
      IF EXISTS (SELECT 1 FROM public.ledger_period l WHERE l.township_id = p_township AND l.period = booked_period) THEN
        refusal := format('period %s is closed', to_char(booked_period, 'YYYY-MM')); refusal_code := 'CB001';
      ELSE
        FOR i IN 1 .. n LOOP
          IF counts[i] < 2 OR sums[i] <> 0 THEN
            refusal := 'ledger_post: every entry needs at least two postings that sum to zero'; refusal_code := 'CB002';
            EXIT;
          END IF;
        END LOOP;
      END IF;
    END IF;
    IF refusal IS NOT NULL THEN
      EXIT booking WHEN n = 1 AND EXISTS (SELECT 1 FROM public.journal_entry j WHERE j.township_id = p_township AND j.idempotency_key = p_keys[1]);
      RAISE EXCEPTION '%', refusal USING ERRCODE = refusal_code;
    END IF;

    -- Only for the one statement below (see migration 1764900000000). One statement: the
    -- entries, then their postings in account order (every transaction locks balances in
    -- the same order). A key a concurrent transaction booked meanwhile is skipped here and
    -- answered below as a replay. The ids come back in the batch's order.
    flag := set_config('cb.ledger_post', 'on', true);
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
    SELECT array_agg(entries.id ORDER BY k.i) INTO inserted
    FROM unnest(p_keys) WITH ORDINALITY AS k(key, i) JOIN entries ON entries.idempotency_key = k.key;
    flag := set_config('cb.ledger_post', 'off', true);

    -- Every entry booked now: answer from what was inserted, without reading it back.
    IF cardinality(inserted) = n THEN
      IF n = 1 THEN
        ordinal := 1; entry_id := inserted[1]; created := true; entry_booked_at := booked; entry_period := booked_period; entry_hash := p_hashes[1];
        RETURN NEXT;
        RETURN;
      END IF;
      RETURN QUERY SELECT i, inserted[i], true, booked, booked_period, p_hashes[i] FROM generate_series(1, n) AS i;
      RETURN;
    END IF;
  END booking;

  RETURN QUERY
    SELECT k.i::int, j.id, j.id = ANY (coalesce(inserted, '{}')), j.booked_at, j.period, j.content_hash
    FROM unnest(p_keys) WITH ORDINALITY AS k(key, i)
    CROSS JOIN LATERAL (SELECT j.id, j.booked_at, j.period, j.content_hash FROM public.journal_entry j
                        WHERE j.township_id = p_township AND j.idempotency_key = k.key OFFSET 0) AS j
    ORDER BY k.i;
END $$;
    `);
  }

  /** The previous body. */
  async down(q: QueryRunner): Promise<void> {
    await new LedgerPostCpu1766200000300().up(q);
  }
}
