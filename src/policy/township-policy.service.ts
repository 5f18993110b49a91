import { Injectable } from '@nestjs/common';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors/domain.error';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { UpdateTownshipPolicyInput } from './dto/policy.inputs';
import { isYearlyDate, nextCutoff, noticeFor } from './expiry-schedule';
import { yearlyRule } from './points-expiry.service';
import { ExpiryMode, PointsExpiryNotice, PointsExpiryRun, TownshipPolicy } from './township-policy.entity';
import { TownshipPolicyRepository } from './township-policy.repository';

/** A township's policy: read by everyone in the township, set by its admins (audited). */
@Injectable()
export class TownshipPolicyService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly policies: TownshipPolicyRepository,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async policy(actor: Principal, townshipId: string): Promise<TownshipPolicy> {
    requireCapability(actor, Capability.READ, { townshipId });
    return this.tx.read((m) => this.policies.get(m, townshipId));
  }

  async update(actor: Principal, input: UpdateTownshipPolicyInput): Promise<TownshipPolicy> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId: input.townshipId });
    return this.tx.run(async (m) => {
      const current = await this.policies.get(m, input.townshipId);
      const expiryMode = input.expiryMode ?? current.expiryMode;
      const yearly = expiryMode === ExpiryMode.YEARLY;
      const expiryMonth = yearly ? (input.expiryMonth ?? current.expiryMonth) : null;
      const expiryDay = yearly ? (input.expiryDay ?? current.expiryDay) : null;
      if (yearly && !(expiryMonth && expiryDay && isYearlyDate(expiryMonth, expiryDay))) {
        throw new DomainError('BAD_USER_INPUT', '输入有误：每年清零须设定每年都有的月份和日期（不能是2月29日）', { field: 'expiryDay' });
      }
      const expiryNoticeDays = input.expiryNoticeDays ?? current.expiryNoticeDays;
      const change = {
        minAttendancePercent: input.minAttendancePercent ?? current.minAttendancePercent,
        expiryMode,
        expiryMonth,
        expiryDay,
        expiryNoticeDays,
        expiryChanged:
          expiryMode !== current.expiryMode ||
          expiryMonth !== current.expiryMonth ||
          expiryDay !== current.expiryDay ||
          expiryNoticeDays !== current.expiryNoticeDays,
      };
      const saved = await this.policies.save(m, input.townshipId, change, actor.personId);
      await this.audit.record(m, {
        townshipId: input.townshipId,
        actorId: actor.personId,
        action: 'policy.update',
        subject: input.townshipId,
        details: { ...change },
      });
      return saved;
    });
  }

  /** The next yearly cut-off, YYYY-MM-DD (null without a yearly reset). */
  nextExpiry(policy: TownshipPolicy): string | null {
    const rule = yearlyRule(policy);
    return rule && nextCutoff(rule, this.clock.now());
  }

  recentRuns(townshipId: string): Promise<PointsExpiryRun[]> {
    return this.tx.read((m) => this.policies.recentRuns(m, townshipId));
  }

  /**
   * The signed-in resident's notice of the next reset, from `expiryNoticeDays` before it:
   * the date and the points that would expire if none were spent first. Null when there is
   * nothing to tell (no reset, not yet in the notice period, or no points to lose).
   */
  async myNotice(actor: Principal): Promise<PointsExpiryNotice | null> {
    const resident = requireResident(actor);
    return this.tx.read(async (m) => {
      const rule = yearlyRule(await this.policies.get(m, resident.townshipId));
      const notice = rule && noticeFor(rule, this.clock.now());
      if (!notice) return null;
      const points = await this.ledgerReads.expirableOf(m, resident.id, notice.cutoffAt);
      return points > 0 ? { ...notice, points } : null;
    });
  }
}
