import { MigrationInterface, QueryRunner } from 'typeorm';
import { SignupCall1766200000200 } from './1766200000200-signup-call';

/**
 * Issue 12: one writer of sign-ups. `activity_sign_up` and `activity_cancel_signup`
 * (migration 1766200000200) wrote only a resident's own sign-up; acting for a household
 * member or dependent repeated them statement by statement in TypeScript (the re-sign-up
 * reset list, the cancellation, the freed place and the promotion). Both functions now take
 * the owner the way the act-for path names it, and SignupService calls them for both:
 *
 * - `p_dependent`: a dependent's sign-up (one live per activity whoever registered them;
 *   the row's resident is the member who did, `p_resident`), or NULL for a resident's own;
 * - `p_acted_by` (sign-up only): the person who acted for them, or NULL.
 *
 * The resident's own call passes NULLs and does what it did: one call that commits by
 * itself. The act-for path calls them inside its transaction (the household check before,
 * the audit record after). What changed in the bodies, not in what they check:
 *
 * - The owner's row is found first, whatever its status (`activity_signup_of`: one per
 *   activity and owner, by the unique indexes of migration 1765700000000). A live one is
 *   refused (CBA01) before any place is taken; a cancelled one is reset in place (the
 *   reset list, once); else a new row is inserted. ON CONFLICT DO NOTHING then raising
 *   CBA01 covers a duplicate racing this one (its insert, or its reset of the same row,
 *   committed first), as the old conflict clause did: raising undoes the place taken.
 * - The cancellation finds the owner's live row before the exclusive lock and then locks
 *   that same row (by id; rows are never deleted) and checks it is still live.
 *
 * Owner lookups are two statements chosen by IF, not one with `p_dependent IS NULL OR …`,
 * so that each has a plan that fits every call (an OR of both shapes would be planned
 * again on every call; see migration 1766200000300).
 */
export class SignupCallOwner1766200000500 implements MigrationInterface {
  name = 'SignupCallOwner1766200000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION activity_sign_up(uuid, uuid, uuid, timestamptz)`);
    await q.query(`DROP FUNCTION activity_cancel_signup(uuid, uuid, uuid, timestamptz, text)`);

    await q.query(`
      CREATE FUNCTION activity_signup_of(p_activity uuid, p_resident uuid, p_dependent uuid) RETURNS activity_signup
      LANGUAGE plpgsql STABLE AS $$
      DECLARE
        found_row activity_signup;
      BEGIN
        IF p_dependent IS NULL THEN
          SELECT e.* INTO found_row FROM activity_signup e WHERE e.activity_id = p_activity AND e.resident_id = p_resident AND e.dependent_id IS NULL;
        ELSE
          SELECT e.* INTO found_row FROM activity_signup e WHERE e.activity_id = p_activity AND e.dependent_id = p_dependent;
        END IF;
        RETURN found_row;
      END $$;
    `);

    await q.query(`
      CREATE FUNCTION activity_sign_up(p_activity uuid, p_resident uuid, p_township uuid, p_now timestamptz,
        p_dependent uuid, p_acted_by uuid,
        OUT activity_township uuid, OUT activity_status text, OUT activity_deadline timestamptz,
        OUT signup activity_signup, OUT waitlist_position int)
      LANGUAGE plpgsql AS $$
      DECLARE
        act record;
        prior activity_signup;
        placed boolean;
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

        prior := activity_signup_of(p_activity, p_resident, p_dependent);
        IF prior.status IN ('CONFIRMED', 'WAITLISTED') THEN
          RAISE EXCEPTION 'already a live sign-up % for activity %', prior.id, p_activity USING ERRCODE = 'CBA01';
        END IF;
        UPDATE activity a SET confirmed_count = a.confirmed_count + 1 WHERE a.id = p_activity AND a.confirmed_count < a.capacity;
        placed := FOUND;
        IF prior.id IS NULL THEN
          INSERT INTO activity_signup AS s (township_id, branch_id, activity_id, resident_id, dependent_id, acted_by, status)
          VALUES (act.township_id, act.branch_id, p_activity, p_resident, p_dependent, p_acted_by,
                  CASE WHEN placed THEN 'CONFIRMED' ELSE 'WAITLISTED' END)
          ON CONFLICT DO NOTHING
          RETURNING s.* INTO signup;
        ELSE
          -- Signing up again after cancelling: back of the queue, attendance reset. Wrong
          -- check-in codes still count: the row is kept for that, so cancelling and signing
          -- up again does not buy ten more guesses. A dependent signed up again by another
          -- member now belongs to that member.
          UPDATE activity_signup s
          SET status = CASE WHEN placed THEN 'CONFIRMED' ELSE 'WAITLISTED' END, arrival = nextval('activity_signup_arrival_seq'),
              signed_up_at = now(), promoted_at = NULL, cancelled_at = NULL, cancel_reason = NULL, attendance = NULL,
              checked_in_at = NULL, attendance_by = NULL, checked_out_at = NULL, checked_in_by_code = false,
              minutes_served = NULL, resident_id = p_resident, acted_by = p_acted_by
          WHERE s.id = prior.id AND s.status = 'CANCELLED'
          RETURNING s.* INTO signup;
        END IF;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'a sign-up for activity % raced this one', p_activity USING ERRCODE = 'CBA01';
        END IF;
        IF signup.status = 'WAITLISTED' THEN
          -- A new snapshot: our own row and every earlier arrival committed by now.
          SELECT count(*)::int INTO waitlist_position FROM activity_signup w
          WHERE w.activity_id = p_activity AND w.status = 'WAITLISTED' AND w.arrival <= signup.arrival;
        END IF;
      END $$;
    `);

    // p_resident is ignored when p_dependent is set: whoever registered the dependent.
    await q.query(`
      CREATE FUNCTION activity_cancel_signup(p_activity uuid, p_resident uuid, p_township uuid, p_now timestamptz, p_reason text,
        p_dependent uuid,
        OUT activity_township uuid, OUT activity_status text, OUT activity_starts_at timestamptz, OUT activity_title text,
        OUT signup activity_signup, OUT previous_status text, OUT promoted uuid[])
      LANGUAGE plpgsql AS $$
      DECLARE
        act record;
        signup_id uuid;
        free int;
      BEGIN
        promoted := '{}';
        -- Checked before the exclusive lock, so that only an owner with a live sign-up can
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
            SELECT e.id INTO signup_id FROM activity_signup_of(p_activity, p_resident, p_dependent) e
            WHERE e.status IN ('CONFIRMED', 'WAITLISTED');
          ELSE
            SELECT e.status INTO previous_status FROM activity_signup e
            WHERE e.id = signup_id AND e.status IN ('CONFIRMED', 'WAITLISTED')
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
    await q.query(`DROP FUNCTION activity_cancel_signup(uuid, uuid, uuid, timestamptz, text, uuid)`);
    await q.query(`DROP FUNCTION activity_sign_up(uuid, uuid, uuid, timestamptz, uuid, uuid)`);
    await q.query(`DROP FUNCTION activity_signup_of(uuid, uuid, uuid)`);
    await new SignupCall1766200000200().up(q);
  }
}
