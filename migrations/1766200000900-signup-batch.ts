import { MigrationInterface, QueryRunner } from 'typeorm';
import { SignupCallOwner1766200000500 } from './1766200000500-signup-call-owner';

/**
 * Issue 12, the sign-up storm: several sign-ups for one activity in one call and one
 * transaction. In a storm two thousand residents sign up within a second; one transaction
 * each cost PostgreSQL ~1.7 ms of CPU per sign-up (its start, the shared lock, the
 * activity read, the commit and its WAL flush), most of it repeated work. The service now
 * gathers the sign-ups of one activity that arrive in the same turn of its event loop and
 * books them in one call of `activity_sign_ups`, in arrival order; one call books one.
 *
 * `activity_sign_ups` replaces `activity_sign_up` (migration 1766200000500) and does what
 * it did for each owner in turn, with one difference: a refusal of one owner does not
 * undo the others. A live sign-up of the same owner (seen before a place is taken, or
 * met by the insert when a concurrent transaction wrote it first) is answered with
 * `refused = 'CBA01'` instead of raised, and a place taken for it is given back: the
 * activity's row stays locked by this transaction and, as the shared advisory lock keeps
 * every place-freeing writer out, no one was waitlisted beside that place meanwhile.
 *
 * Waitlist positions are counted once for the whole call, in a statement after the
 * writes (a new snapshot: every earlier arrival committed by then), by numbering the
 * waitlist up to the call's last arrival: one scan instead of one per sign-up.
 */
export class SignupBatch1766200000900 implements MigrationInterface {
  name = 'SignupBatch1766200000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION activity_sign_up(uuid, uuid, uuid, timestamptz, uuid, uuid)`);
    await q.query(`
      -- The owners are (p_residents[i], p_dependents[i]) as activity_signup_of takes them,
      -- each with the time it asked (p_nows[i], for the deadline) and who acted for it.
      -- Every owner gets one row, by ordinal: the activity as read under the lock (no row at
      -- all if there is no such activity), the sign-up written (NULL when the activity is
      -- not open to it: wrong township, not PUBLISHED, past the deadline; or refused), its
      -- waitlist position, and 'CBA01' when the owner already had a live sign-up.
      CREATE FUNCTION activity_sign_ups(p_activity uuid, p_township uuid,
        p_residents uuid[], p_dependents uuid[], p_acted_by uuid[], p_nows timestamptz[])
      RETURNS TABLE (ordinal int, activity_township uuid, activity_status text, activity_deadline timestamptz,
                     signup activity_signup, waitlist_position int, refused text)
      LANGUAGE plpgsql AS $$
      DECLARE
        n int := coalesce(cardinality(p_residents), 0);
        act record;
        prior activity_signup;
        placed boolean;
        written uuid;
        written_status text;
        written_arrival bigint;
        ids uuid[];
        refusals text[];
        last_waitlisted bigint;
      BEGIN
        IF cardinality(p_dependents) IS DISTINCT FROM n OR cardinality(p_acted_by) IS DISTINCT FROM n
           OR cardinality(p_nows) IS DISTINCT FROM n THEN
          RAISE EXCEPTION 'activity_sign_ups: arrays of unequal length' USING ERRCODE = '22023';
        END IF;
        PERFORM pg_advisory_xact_lock_shared(hashtextextended('activity:' || p_activity, 0));
        SELECT a.township_id, a.branch_id, a.status, a.signup_deadline INTO act FROM activity a WHERE a.id = p_activity;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        ids := array_fill(NULL::uuid, ARRAY[n]);
        refusals := array_fill(NULL::text, ARRAY[n]);
        FOR i IN 1 .. n LOOP
          CONTINUE WHEN act.township_id <> p_township OR act.status <> 'PUBLISHED' OR act.signup_deadline <= p_nows[i];
          prior := activity_signup_of(p_activity, p_residents[i], p_dependents[i]);
          IF prior.status IN ('CONFIRMED', 'WAITLISTED') THEN
            refusals[i] := 'CBA01';
            CONTINUE;
          END IF;
          UPDATE activity a SET confirmed_count = a.confirmed_count + 1 WHERE a.id = p_activity AND a.confirmed_count < a.capacity;
          placed := FOUND;
          IF prior.id IS NULL THEN
            INSERT INTO activity_signup AS s (township_id, branch_id, activity_id, resident_id, dependent_id, acted_by, status)
            VALUES (act.township_id, act.branch_id, p_activity, p_residents[i], p_dependents[i], p_acted_by[i],
                    CASE WHEN placed THEN 'CONFIRMED' ELSE 'WAITLISTED' END)
            ON CONFLICT DO NOTHING
            RETURNING s.id, s.status, s.arrival INTO written, written_status, written_arrival;
          ELSE
            -- Signing up again after cancelling: back of the queue, attendance reset. Wrong
            -- check-in codes still count: the row is kept for that, so cancelling and signing
            -- up again does not buy ten more guesses. A dependent signed up again by another
            -- member now belongs to that member.
            UPDATE activity_signup s
            SET status = CASE WHEN placed THEN 'CONFIRMED' ELSE 'WAITLISTED' END, arrival = nextval('activity_signup_arrival_seq'),
                signed_up_at = now(), promoted_at = NULL, cancelled_at = NULL, cancel_reason = NULL, attendance = NULL,
                checked_in_at = NULL, attendance_by = NULL, checked_out_at = NULL, checked_in_by_code = false,
                minutes_served = NULL, resident_id = p_residents[i], acted_by = p_acted_by[i]
            WHERE s.id = prior.id AND s.status = 'CANCELLED'
            RETURNING s.id, s.status, s.arrival INTO written, written_status, written_arrival;
          END IF;
          IF NOT FOUND THEN
            -- A concurrent sign-up of the same owner committed first.
            IF placed THEN
              UPDATE activity a SET confirmed_count = a.confirmed_count - 1 WHERE a.id = p_activity;
            END IF;
            refusals[i] := 'CBA01';
            CONTINUE;
          END IF;
          ids[i] := written;
          IF written_status = 'WAITLISTED' THEN
            last_waitlisted := written_arrival;
          END IF;
        END LOOP;

        RETURN QUERY
          WITH queue AS (
            SELECT w.id, row_number() OVER (ORDER BY w.arrival)::int AS place_in_queue FROM activity_signup w
            WHERE last_waitlisted IS NOT NULL AND w.activity_id = p_activity AND w.status = 'WAITLISTED' AND w.arrival <= last_waitlisted
          )
          SELECT k.i::int, act.township_id, act.status::text, act.signup_deadline, s, queue.place_in_queue, refusals[k.i]
          FROM unnest(ids) WITH ORDINALITY AS k(id, i)
          LEFT JOIN activity_signup s ON s.id = k.id
          LEFT JOIN queue ON queue.id = k.id
          ORDER BY k.i;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION activity_sign_ups(uuid, uuid, uuid[], uuid[], uuid[], timestamptz[])`);
    // activity_sign_up as migration 1766200000500 made it (its other functions stay).
    const statements: string[] = [];
    await new SignupCallOwner1766200000500().up({ query: async (sql: string) => void statements.push(sql) } as unknown as QueryRunner);
    await q.query(statements.find((sql) => sql.includes('CREATE FUNCTION activity_sign_up('))!);
  }
}
