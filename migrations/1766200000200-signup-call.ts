import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 12: a resident's own sign-up is one round trip. `activity_sign_up(...)`, called
 * outside an explicit transaction (it commits by itself), does what BEGIN, the shared lock
 * and read, the sign-up statement and COMMIT did:
 *
 * 1. takes the activity's advisory lock SHARED (see SignupService: whatever frees places
 *    takes it exclusively and must see every sign-up in flight);
 * 2. reads the activity AFTER the lock. Each PL/pgSQL statement at READ COMMITTED takes a
 *    new snapshot, so this read sees whatever a cancellation or a capacity change committed
 *    while we waited; one CTE statement could not (its snapshot predates the lock it takes,
 *    and it could waitlist someone onto an activity just cancelled);
 * 3. writes nothing unless the activity is in the resident's township (p_township, the
 *    caller's), PUBLISHED and before
 *    its sign-up deadline, and returns what it read: the service turns that into the same
 *    refusals as before (NOT_FOUND, FORBIDDEN, ACTIVITY_CANCELLED, SIGNUP_CLOSED);
 * 4. otherwise writes the sign-up exactly as the statement it replaces (a place with a
 *    conditional UPDATE, else the waitlist; a cancelled sign-up comes back at the end of
 *    the queue) and returns the row with its waitlist position.
 *
 * A live sign-up already there (or a duplicate racing this one) raises CBA01, which the
 * service reports as ALREADY_SIGNED_UP: raising undoes a place the statement may have taken.
 * SECURITY INVOKER: it runs with the caller's privileges, which the app role has.
 */
export class SignupCall1766200000200 implements MigrationInterface {
  name = 'SignupCall1766200000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION activity_sign_up(p_activity uuid, p_resident uuid, p_township uuid, p_now timestamptz,
        OUT activity_township uuid, OUT activity_status text, OUT activity_deadline timestamptz,
        OUT signup activity_signup, OUT waitlist_position int)
      LANGUAGE plpgsql AS $$
      DECLARE
        act record;
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(hashtextextended('activity:' || p_activity, 0));
        SELECT a.township_id, a.branch_id, a.status, a.signup_deadline INTO act FROM activity a WHERE a.id = p_activity;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        activity_township := act.township_id;
        activity_status := act.status;
        activity_deadline := act.signup_deadline;
        IF act.township_id <> p_township OR act.status <> 'PUBLISHED' OR act.signup_deadline <= p_now THEN
          RETURN;
        END IF;

        WITH existing AS (
          SELECT 1 FROM activity_signup e
          WHERE e.activity_id = p_activity AND e.resident_id = p_resident AND e.dependent_id IS NULL AND e.status IN ('CONFIRMED', 'WAITLISTED')
        ), place AS (
          UPDATE activity a SET confirmed_count = a.confirmed_count + 1
          WHERE a.id = p_activity AND a.confirmed_count < a.capacity AND NOT EXISTS (SELECT 1 FROM existing)
          RETURNING a.id
        )
        INSERT INTO activity_signup AS s (township_id, branch_id, activity_id, resident_id, status)
        VALUES (act.township_id, act.branch_id, p_activity, p_resident,
                CASE WHEN EXISTS (SELECT 1 FROM place) THEN 'CONFIRMED' ELSE 'WAITLISTED' END)
        -- Signing up again after cancelling: back of the queue, attendance reset; wrong
        -- check-in codes still count (as SignupRepository.signUp).
        ON CONFLICT (activity_id, resident_id) WHERE dependent_id IS NULL DO UPDATE
          SET status = EXCLUDED.status, arrival = nextval('activity_signup_arrival_seq'), signed_up_at = now(),
              promoted_at = NULL, cancelled_at = NULL, cancel_reason = NULL, attendance = NULL, checked_in_at = NULL,
              attendance_by = NULL, checked_out_at = NULL, checked_in_by_code = false, minutes_served = NULL,
              acted_by = NULL
          WHERE s.status = 'CANCELLED'
        RETURNING s.* INTO signup;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'resident % already has a live sign-up for activity %', p_resident, p_activity USING ERRCODE = 'CBA01';
        END IF;
        IF signup.status = 'WAITLISTED' THEN
          -- A new snapshot: our own row and every earlier arrival committed by now.
          SELECT count(*)::int INTO waitlist_position FROM activity_signup w
          WHERE w.activity_id = p_activity AND w.status = 'WAITLISTED' AND w.arrival <= signup.arrival;
        END IF;
      END $$;
    `);

    // The resident's own cancellation, the same way, but inside the caller's transaction:
    // the notice to whoever is promoted (the notifications module's outbox) is written in it
    // too. Returns the activity as read (under the lock once there is a live sign-up), the
    // cancelled sign-up with what it was, and the residents promoted into the freed place.
    await q.query(`
      CREATE FUNCTION activity_cancel_signup(p_activity uuid, p_resident uuid, p_township uuid, p_now timestamptz, p_reason text,
        OUT activity_township uuid, OUT activity_status text, OUT activity_starts_at timestamptz, OUT activity_title text,
        OUT signup activity_signup, OUT previous_status text, OUT promoted uuid[])
      LANGUAGE plpgsql AS $$
      DECLARE
        act record;
        signup_id uuid;
        free int;
      BEGIN
        promoted := '{}';
        -- Checked before the exclusive lock, so that only a resident with a live sign-up can
        -- make the activity's sign-ups wait; checked again under it.
        FOR pass IN 1..2 LOOP
          IF pass = 2 THEN
            PERFORM pg_advisory_xact_lock(hashtextextended('activity:' || p_activity, 0));
          END IF;
          SELECT a.township_id, a.status, a.starts_at, a.title INTO act FROM activity a WHERE a.id = p_activity;
          IF NOT FOUND THEN
            RETURN;
          END IF;
          activity_township := act.township_id;
          activity_status := act.status;
          activity_starts_at := act.starts_at;
          activity_title := act.title;
          IF act.township_id <> p_township OR act.status <> 'PUBLISHED' OR act.starts_at <= p_now THEN
            RETURN;
          END IF;
          IF pass = 1 THEN
            -- No row lock before the activity's lock (a cancellation of the activity holds
            -- that and then locks every live sign-up).
            PERFORM FROM activity_signup e
            WHERE e.activity_id = p_activity AND e.resident_id = p_resident AND e.dependent_id IS NULL AND e.status IN ('CONFIRMED', 'WAITLISTED');
          ELSE
            SELECT e.id, e.status INTO signup_id, previous_status FROM activity_signup e
            WHERE e.activity_id = p_activity AND e.resident_id = p_resident AND e.dependent_id IS NULL AND e.status IN ('CONFIRMED', 'WAITLISTED')
            FOR UPDATE;
          END IF;
          IF NOT FOUND THEN
            RETURN;
          END IF;
        END LOOP;

        UPDATE activity_signup s SET status = 'CANCELLED', cancelled_at = now(), cancel_reason = p_reason
        WHERE s.id = signup_id RETURNING s.* INTO signup;
        IF previous_status = 'CONFIRMED' THEN
          -- The freed place goes to the first waitlisted (SignupRepository.fillPlaces).
          UPDATE activity a SET confirmed_count = a.confirmed_count - 1 WHERE a.id = p_activity
          RETURNING a.capacity - a.confirmed_count INTO free;
          IF free > 0 THEN
            WITH next AS (
              SELECT w.id FROM activity_signup w WHERE w.activity_id = p_activity AND w.status = 'WAITLISTED'
              ORDER BY w.arrival LIMIT free FOR UPDATE
            ), moved AS (
              UPDATE activity_signup s SET status = 'CONFIRMED', promoted_at = now() FROM next WHERE s.id = next.id
              RETURNING s.resident_id
            )
            SELECT coalesce(array_agg(moved.resident_id), '{}') INTO promoted FROM moved;
            IF cardinality(promoted) > 0 THEN
              UPDATE activity a SET confirmed_count = a.confirmed_count + cardinality(promoted) WHERE a.id = p_activity;
            END IF;
          END IF;
        END IF;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION activity_cancel_signup(uuid, uuid, uuid, timestamptz, text)`);
    await q.query(`DROP FUNCTION activity_sign_up(uuid, uuid, uuid, timestamptz)`);
  }
}
