import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors/domain.error';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction.runner';
import { RETRIED_JOB_OPTIONS } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { cutoffInstant, dueCutoff, YearlyRule } from './expiry-schedule';
import { ExpireTownshipData, expireTownshipJobId, POINTS_EXPIRY_QUEUE, PointsExpiryJob } from './points-expiry.jobs';
import { ExpiryMode, PointsExpiryRun, TownshipPolicy } from './township-policy.entity';
import { TownshipPolicyRepository } from './township-policy.repository';

/** Residents per transaction of a reset. */
export const EXPIRY_BATCH = 200;
/** A page whose balance moved under it (a spend in the same instant) is computed again, this many times. */
const RACE_RETRIES = 5;

export function yearlyRule(policy: TownshipPolicy): YearlyRule | null {
  if (policy.expiryMode !== ExpiryMode.YEARLY || !policy.expiryMonth || !policy.expiryDay || !policy.expirySetAt) return null;
  return { month: policy.expiryMonth, day: policy.expiryDay, noticeDays: policy.expiryNoticeDays, setAt: new Date(policy.expirySetAt) };
}

/**
 * A township's yearly reset: every resident's points earned before the cut-off and still
 * unspent (oldest first) are booked, one EXPIRY entry per resident naming them and the
 * amount, to the township's expiry account. Exactly once per township and cut-off date:
 * each entry's key is `expiry:<date>:<resident>`, the run's row is locked while a page is
 * booked, and a page computed again after a crash finds nothing left to take.
 */
@Injectable()
export class PointsExpiryService {
  private readonly logger = new Logger(PointsExpiryService.name);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly policies: TownshipPolicyRepository,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly audit: AuditService,
    private readonly queues: JobQueues,
    private readonly clock: Clock,
  ) {}

  /** The townships whose latest cut-off is due now (announced in time) and not yet done. */
  async dueTownships(now = this.clock.now()): Promise<ExpireTownshipData[]> {
    return this.tx.run(async (m) => {
      const due: ExpireTownshipData[] = [];
      for (const policy of await this.policies.yearly(m)) {
        const rule = yearlyRule(policy);
        const cutoffDate = rule && dueCutoff(rule, now);
        if (!cutoffDate) continue;
        const run = await this.policies.run(m, policy.townshipId, cutoffDate);
        if (run?.status !== 'DONE') due.push({ townshipId: policy.townshipId, cutoffDate });
      }
      return due;
    });
  }

  /** Whether the township's policy still asks for this cut-off (an admin may have turned the reset off since it was queued). */
  async stillDue(townshipId: string, cutoffDate: string, now = this.clock.now()): Promise<boolean> {
    const rule = yearlyRule(await this.tx.read((m) => this.policies.get(m, townshipId)));
    return !!rule && dueCutoff(rule, now) === cutoffDate;
  }

  async enqueue(data: ExpireTownshipData): Promise<void> {
    await this.queues.queue(POINTS_EXPIRY_QUEUE).add(PointsExpiryJob.EXPIRE_TOWNSHIP, data, {
      ...RETRIED_JOB_OPTIONS,
      jobId: expireTownshipJobId(data.townshipId, data.cutoffDate),
    });
  }

  /**
   * Books the reset of `cutoffDate` for the township (a done run returns as it was).
   * `cutoffAt` is that date's 00:00 Asia/Shanghai; tests give another instant.
   */
  async expireTownship(townshipId: string, cutoffDate: string, cutoffAt = cutoffInstant(cutoffDate)): Promise<PointsExpiryRun> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(cutoffDate)) throw new DomainError('BAD_USER_INPUT', '输入有误：到期日期格式应为YYYY-MM-DD');
    if (cutoffAt.getTime() > this.clock.now().getTime()) throw new DomainError('BAD_USER_INPUT', '输入有误：到期日期尚未到来');
    const done = await this.tx.run(async (m) => {
      const run = await this.policies.lockRun(m, townshipId, cutoffDate, cutoffAt);
      return run.status === 'DONE' ? run : null;
    });
    if (done) return done;
    let after: string | null = null;
    for (;;) {
      const page = await this.bookPage(townshipId, cutoffDate, cutoffAt, after);
      if (page.last === null) break;
      after = page.last;
    }
    return this.tx.run(async (m) => {
      const run = await this.policies.lockRun(m, townshipId, cutoffDate, cutoffAt);
      if (run.status === 'DONE') return run;
      const totals = await this.ledgerReads.referenceTotals(m, townshipId, EntryKind.EXPIRY, 'EXPIRY', cutoffDate);
      await this.audit.record(m, {
        townshipId,
        actorId: null,
        action: 'points.expire',
        subject: cutoffDate,
        details: { residents: totals.entries, points: totals.points },
      });
      this.logger.log(`points expiry of township ${townshipId} at ${cutoffDate}: ${totals.points} points of ${totals.entries} residents`);
      return this.policies.finishRun(m, townshipId, cutoffDate, totals.entries, totals.points);
    });
  }

  /** One page of residents in one transaction; the last account id of the page, or null when none was left. */
  private async bookPage(townshipId: string, cutoffDate: string, cutoffAt: Date, after: string | null): Promise<{ last: string | null }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tx.run(async (m) => {
          await this.policies.lockRun(m, townshipId, cutoffDate, cutoffAt);
          const page = await this.ledgerReads.expirable(m, townshipId, cutoffAt, after, EXPIRY_BATCH);
          if (!page.length) return { last: null };
          const expiring = page.filter((r) => r.amount > 0);
          if (expiring.length) {
            const account = await this.ledger.townshipAccount(m, townshipId, AccountKind.TOWNSHIP_EXPIRY);
            await this.ledger.postMany(
              m,
              expiring.map((r) => ({
                townshipId,
                kind: EntryKind.EXPIRY as const,
                idempotencyKey: `expiry:${cutoffDate}:${r.residentId}`,
                reference: { type: 'EXPIRY', id: cutoffDate },
                memo: `积分到期清零：${cutoffDate}前获得且未使用的${r.amount}积分`,
                lines: [
                  { accountId: r.accountId, amount: -r.amount },
                  { accountId: account.id, amount: r.amount },
                ],
              })),
            );
          }
          return { last: page[page.length - 1].accountId };
        });
      } catch (error) {
        // A resident spent between the read and the booking: read the page again.
        const raced = error instanceof DomainError && (error.code === 'INSUFFICIENT_POINTS' || error.code === 'IDEMPOTENCY_CONFLICT');
        if (!raced || attempt >= RACE_RETRIES) throw error;
      }
    }
  }
}
