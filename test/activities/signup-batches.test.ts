import { randomUUID } from 'node:crypto';
import { PrincipalLoader } from '../../src/auth/principal.loader';
import { Principal } from '../../src/auth/principal';
import { DomainError } from '../../src/common/errors/domain.error';
import { SignupBatches } from '../../src/activities/signup-batches';
import { SignupService } from '../../src/activities/signup.service';
import { PreparingClient } from '../../src/database/prepared-statements';
import { createActivity, seedWorld, World } from '../support/activity-fixture';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Residents' own sign-ups for one activity asked in the same turn of the event loop are one
 * call of `activity_sign_ups`, in the order asked; each request still gets its own answer.
 */
describe('sign-ups booked together', () => {
  let t: TestApp;
  let w: World;
  let residents: Principal[];
  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { branches: 1, residentsPerBranch: 40 });
    const loader = t.app.get(PrincipalLoader);
    residents = await Promise.all(w.township.branches[0].residents.map(async (r) => (await loader.load(r.personId))!));
  });
  afterAll(() => t.close());

  const activity = () => createActivity(t, w.managerTokens[0], w.township.branches[0].id, { capacity: 10 });
  const signUps = (activityId: string, who: Principal[]) =>
    Promise.allSettled(who.map((r) => t.app.get(SignupService).signUp(r, activityId)));
  const places = async (activityId: string) =>
    (
      await t.db.dataSource.query(
        `SELECT a.confirmed_count AS counted, (SELECT count(*)::int FROM activity_signup s WHERE s.activity_id = a.id AND s.status = 'CONFIRMED') AS confirmed
         FROM activity a WHERE a.id = $1`,
        [activityId],
      )
    )[0];

  it('40 sign-ups in one turn: one statement, the first 10 confirmed, the rest waitlisted 1–30 in the order asked', async () => {
    const activityId = await activity();
    const query = jest.spyOn(PreparingClient.prototype, 'query');
    let results: PromiseSettledResult<{ residentId: string; status: string; waitlistPosition?: number | null }>[];
    try {
      results = await signUps(activityId, residents);
      expect(query.mock.calls).toHaveLength(1);
    } finally {
      query.mockRestore();
    }
    const answers = results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason));
    expect(answers.map((a) => a.residentId)).toEqual(residents.map((r) => r.resident!.id));
    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill('CONFIRMED'), ...Array(30).fill('WAITLISTED')]);
    expect(answers.slice(10).map((a) => a.waitlistPosition)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const arrivals = await t.db.dataSource.query(`SELECT resident_id FROM activity_signup WHERE activity_id = $1 ORDER BY arrival`, [activityId]);
    expect(arrivals.map((r: { resident_id: string }) => r.resident_id)).toEqual(residents.map((r) => r.resident!.id));
    expect(await places(activityId)).toEqual({ counted: 10, confirmed: 10 });
  });

  it('the same resident twice in one turn: the second is refused, the others are booked', async () => {
    const activityId = await activity();
    const who = [residents[0], residents[1], residents[0], residents[2]];
    const results = await signUps(activityId, who);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const refusal = (results[2] as PromiseRejectedResult).reason;
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal.code).toBe('ALREADY_SIGNED_UP');
    expect(await places(activityId)).toEqual({ counted: 3, confirmed: 3 });
  });

  it('a cancelled sign-up signs up again at the back of the queue, in a call with others', async () => {
    const activityId = await activity();
    await signUps(activityId, residents.slice(0, 12));
    await t.app.get(SignupService).cancelSignup(residents[0], activityId);
    // The freed place went to the first waitlisted; signing up again queues behind the others.
    const [again, other] = await signUps(activityId, [residents[0], residents[20]]);
    expect(again.status === 'fulfilled' && again.value).toMatchObject({ status: 'WAITLISTED', waitlistPosition: 2 });
    expect(other.status === 'fulfilled' && other.value).toMatchObject({ status: 'WAITLISTED', waitlistPosition: 3 });
    expect(await places(activityId)).toEqual({ counted: 10, confirmed: 10 });
  });

  it('a call that fails as a whole is tried again owner by owner: each request gets its own answer, no place is lost', async () => {
    const activityId = await activity();
    const batches = t.app.get(SignupBatches);
    const ask = (residentId: string) =>
      batches.signUp({ activityId, townshipId: w.township.id, residentId, dependentId: null, actedBy: null, now: new Date() });
    // An unknown resident breaks the call (the sign-up's foreign key), and only its own request.
    const results = await Promise.allSettled([ask(residents[0].resident!.id), ask(randomUUID()), ask(residents[1].resident!.id)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.signup?.status] : []))).toEqual(['CONFIRMED', 'CONFIRMED']);
    expect(await places(activityId)).toEqual({ counted: 2, confirmed: 2 });
  });
});
