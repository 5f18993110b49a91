import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 12: a posting is one round trip. `ledger_post(...)` books one entry or a batch of
 * entries in a single call: replays by idempotency key, the booking time, the period lock
 * and closed-month check, rule 1 for every entry, then the entries and their postings in
 * one statement, whose posting trigger moves the balances (shard pick and the
 * never-negative CHECK, as before).
 *
 * The triggers that re-check rules 1 and 6 stay for every other writer (a script, psql,
 * the app role's own SQL). They are skipped only for that one statement of ledger_post,
 * which checked the same things just before: their WHEN clause is true only when the
 * statement runs as the ledger's owner (current_user inside a SECURITY DEFINER function
 * owned by it) AND the transaction-local setting `cb.ledger_post` is on (the function turns
 * it on around that statement). Anyone may set `cb.ledger_post`, but only the owner's
 * statements pass the first half, so the app role setting it changes nothing (the owner
 * can disable triggers anyway). The posting trigger (balance moves, CB004) and every
 * constraint always run. If the two halves ever disagreed (ownership moved), the
 * re-checks would simply run: entry and postings arrive in one statement, which they accept.
 */
export class LedgerPost1764900000000 implements MigrationInterface {
  name = 'LedgerPost1764900000000';

  async up(q: QueryRunner): Promise<void> {
    // The owner's name is fixed into the WHEN clauses when they are made (a trigger's WHEN
    // is not planned, so a SQL function there would be parsed again for every statement).
    const running = `current_user = %1$L::name AND current_setting('cb.ledger_post', true) IS NOT DISTINCT FROM 'on'`;
    await q.query(`
      DO $do$ BEGIN
        EXECUTE format($f$
          -- For tests and psql: what the WHEN clauses below ask.
          CREATE FUNCTION ledger_post_running() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT ${running} $$;

          DROP TRIGGER journal_entry_before_insert ON journal_entry;
          CREATE TRIGGER journal_entry_before_insert BEFORE INSERT ON journal_entry
            FOR EACH ROW WHEN (NOT (${running})) EXECUTE FUNCTION journal_entry_before_insert();
          DROP TRIGGER journal_entry_balanced ON journal_entry;
          CREATE TRIGGER journal_entry_balanced AFTER INSERT ON journal_entry
            REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT
            WHEN (NOT (${running})) EXECUTE FUNCTION journal_entry_balanced();
          DROP TRIGGER posting_balanced ON posting;
          CREATE TRIGGER posting_balanced AFTER INSERT ON posting
            REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT
            WHEN (NOT (${running})) EXECUTE FUNCTION posting_balanced();
        $f$, current_user);
      END $do$;
    `);

    // The balance move of every posting, as before, except where it starts looking for a
    // free shard: at this connection's own (backend pid mod 32) rather than at shard 0, so
    // concurrent postings to a hot account rarely try the same shards first. Residents
    // have shard 0 only; the second branch finds it.
    await q.query(`
      CREATE OR REPLACE FUNCTION posting_before_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      DECLARE
        new_balance bigint;
        sharded boolean;
        first_choice int := pg_backend_pid() % 32;
      BEGIN
        -- Take a shard no other transaction holds, from first_choice up, then below it.
        -- LIMIT 1 stops the scan at the first free shard: no other shard is locked.
        UPDATE public.account_balance b SET balance = b.balance + NEW.amount
        WHERE (b.account_id, b.shard) = (
          SELECT s.account_id, s.shard FROM (
            SELECT * FROM (SELECT f.account_id, f.shard FROM public.account_balance f
                           WHERE f.account_id = NEW.account_id AND f.township_id = NEW.township_id AND f.shard >= first_choice
                           ORDER BY f.shard FOR UPDATE SKIP LOCKED) AS from_first_choice
            UNION ALL
            SELECT * FROM (SELECT f.account_id, f.shard FROM public.account_balance f
                           WHERE f.account_id = NEW.account_id AND f.township_id = NEW.township_id AND f.shard < first_choice
                           ORDER BY f.shard FOR UPDATE SKIP LOCKED) AS below_first_choice
          ) AS s LIMIT 1)
        RETURNING b.balance, b.may_go_negative INTO new_balance, sharded;
        -- With one shard (residents) or all shards busy, queue on the shard this
        -- connection would normally use.
        IF NOT FOUND THEN
          UPDATE public.account_balance b SET balance = b.balance + NEW.amount
          WHERE b.account_id = NEW.account_id AND b.township_id = NEW.township_id
            AND b.shard = pg_backend_pid() % (SELECT count(*) FROM public.account_balance c WHERE c.account_id = NEW.account_id)
          RETURNING b.balance, b.may_go_negative INTO new_balance, sharded;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'account % does not exist in township %', NEW.account_id, NEW.township_id
              USING ERRCODE = 'CB004';
          END IF;
        END IF;
        NEW.balance_after := CASE WHEN sharded THEN NULL ELSE new_balance END;
        RETURN NEW;
      END $$;
    `);

    // The period lock's key was declared IMMUTABLE, but text || uuid is only STABLE, so the
    // planner never inlined it: every booking parsed and planned its body again. Same key.
    await q.query(`
      CREATE OR REPLACE FUNCTION ledger_period_lock_key(township uuid, period date) RETURNS bigint
        LANGUAGE sql STABLE AS $$ SELECT hashtextextended('ledger_period:' || township || ':' || period, 0) $$;
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
      -- No plan_cache_mode = force_generic_plan: it saves 0.1-0.2 ms of planning per call
      -- on analysed tables, but a plan made while the journal was small (a fresh database)
      -- kept scanning it whole as it grew (2-4 ms per posting, measured).
      AS $$
      DECLARE
        n int := coalesce(cardinality(p_keys), 0);
        booked timestamptz;
        booked_period date;
        inserted bigint[];
        replays int;
        conflicting boolean;
        flag text;
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
          flag := set_config('cb.ledger_post', 'on', true);
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
          flag := set_config('cb.ledger_post', 'off', true);
        END IF;

        RETURN QUERY
          SELECT k.i::int, e.id, e.id = ANY (coalesce(inserted, '{}')), e.booked_at, e.period, e.content_hash
          FROM unnest(p_keys) WITH ORDINALITY AS k(key, i)
          JOIN public.journal_entry e ON e.township_id = p_township AND e.idempotency_key = k.key
          ORDER BY k.i;
      END $$;
    `);
  }

  /** posting_before_insert keeps its first choice of shard: it books the same either way. */
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
