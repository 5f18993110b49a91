import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DomainError } from '../common/errors/domain.error';
import { TransactionRunner } from '../database/transaction.runner';
import { SignupOutcome, SignupRepository, SignupRequest } from './signup.repository';

/** A resident's own sign-up, waiting for its turn's call. */
export interface OwnSignup extends SignupRequest {
  activityId: string;
  townshipId: string;
}

/** A request's answer: its outcome, or the refusal its promise rejects with. */
const answer = (outcome: SignupOutcome): SignupOutcome | Error => (outcome.alreadySignedUp ? new DomainError('ALREADY_SIGNED_UP') : outcome);

/** At most this many sign-ups in one call: one transaction's length, and its arrays. */
const MOST_PER_CALL = 250;

/**
 * Residents' own sign-ups, booked together: those for one activity read in the same turn of
 * the event loop (a storm arrives that way) are one call of `activity_sign_ups` committing
 * by itself, in the order they were read. One sign-up alone is the same call with one
 * owner. A refusal of one owner (already signed up) is that owner's answer only; a call
 * that fails as a whole (a lost connection, a deadlock retried to exhaustion) is tried
 * again owner by owner, so that each request gets the answer of its own sign-up.
 */
@Injectable()
export class SignupBatches {
  private readonly batches = new DataLoader<OwnSignup, SignupOutcome>((requests) => this.book(requests), {
    cache: false,
    maxBatchSize: MOST_PER_CALL,
    // setImmediate: once every request read in this turn has asked, not after each one.
    batchScheduleFn: (book) => setImmediate(book),
  });

  constructor(
    private readonly tx: TransactionRunner,
    private readonly signups: SignupRepository,
  ) {}

  signUp(request: OwnSignup): Promise<SignupOutcome> {
    return this.batches.load(request);
  }

  private async book(requests: readonly OwnSignup[]): Promise<(SignupOutcome | Error)[]> {
    const byActivity = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const key = `${r.activityId} ${r.townshipId}`;
      let group = byActivity.get(key);
      if (!group) byActivity.set(key, (group = []));
      group.push(i);
    });
    const outcomes: (SignupOutcome | Error)[] = new Array(requests.length);
    await Promise.all(
      [...byActivity.values()].map(async (indexes) => {
        const { activityId, townshipId } = requests[indexes[0]];
        const call = (owners: OwnSignup[]) => this.tx.single((m) => this.signups.signUpMany(m, activityId, townshipId, owners));
        try {
          (await call(indexes.map((i) => requests[i]))).forEach((outcome, k) => (outcomes[indexes[k]] = answer(outcome)));
        } catch (error) {
          if (indexes.length === 1) return void (outcomes[indexes[0]] = error as Error);
          await Promise.all(
            indexes.map(async (i) => {
              outcomes[i] = await call([requests[i]]).then(
                ([outcome]) => answer(outcome),
                (alone: Error) => alone,
              );
            }),
          );
        }
      }),
    );
    return outcomes;
  }
}
