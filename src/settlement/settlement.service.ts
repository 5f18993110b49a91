import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { ErrorCode } from '../common/errors/error-code';
import { addMonths, hasEnded, Month, monthToPeriodDate } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { RETRIED_JOB_OPTIONS } from '../jobs/job-handler';
import { JobQueues } from '../jobs/job-queues';
import { EntryProblemKind, LedgerSealService } from '../ledger/ledger-seal.service';
import { LedgerReadsRepository } from '../ledger/ledger-reads.repository';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { LedgerService, ReconciliationReport } from '../ledger/ledger.service';
import { BranchFigures, MonthlyStatement, Settlement, SettlementStatus, TrialBalance } from './dto/settlement.models';
import { AuditService } from '../audit/audit.service';
import { HonoursService } from '../honours/honours.service';
import { NotificationKind } from '../notifications/notification.kinds';
import { NotificationOutbox } from '../notifications/notification-outbox';
import { SETTLEMENT_QUEUE, SettlementJob, SettlementJobData, settleStepJobId, settleTownshipJobId } from './settlement.jobs';

/** Thrown by the township step when the books do not balance or a seal no longer matches: retrying cannot help. */
export class SettlementCheckFailed extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'RECONCILIATION_FAILED' | 'LEDGER_SEAL_BROKEN'>,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The monthly settlement of a township (README, "Sealed months and the public statement").
 *
 * 1. `start` (an admin): closes the month, and every earlier month, in the same
 *    transaction that records the settlement; closing waits for bookings in flight,
 *    and any later booking into those months fails with PERIOD_CLOSED. Then it queues
 *    a flow: two children side by side, the township step as the parent.
 * 2. The figures child computes every branch's figures from the (now immutable) ledger
 *    in one statement and inserts them once (primary key, ON CONFLICT DO NOTHING).
 * 3. The seal child reconciles the whole ledger (balances, every content hash, every
 *    sealed month recomputed: a broken earlier seal stops it here) and, if all is clean,
 *    seals the closed months up to this one that are not sealed yet.
 * 4. The township step writes every account's closing snapshot, checks the trial
 *    balance, the reconciliation and the seal, has the honours module record the month's
 *    文明之星 (once per township and month), and marks the settlement SUCCEEDED, in one
 *    transaction.
 *
 * Every step reads only closed months and writes with ON CONFLICT DO NOTHING, so a
 * retried, duplicated or killed-and-resumed job ends with the same rows; a settled
 * month is returned as stored, and starting it again writes nothing.
 */
@Injectable()
export class SettlementService {
  private readonly logger = new Logger(SettlementService.name);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReadsRepository,
    private readonly organisation: OrganisationRepository,
    private readonly seals: LedgerSealService,
    private readonly queues: JobQueues,
    private readonly audit: AuditService,
    private readonly honours: HonoursService,
    private readonly outbox: NotificationOutbox,
  ) {
    // The flows add to it by name; asking for it here puts it on the dashboard and the depth gauge.
    queues.queue(SETTLEMENT_QUEUE);
  }

  // ---- starting -------------------------------------------------------------

  async start(actor: Principal, townshipId: string, month: Month): Promise<Settlement> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    if (!hasEnded(month.text)) throw new DomainError('MONTH_NOT_ENDED');
    const { run, status } = await this.tx.run(async (m) => {
      if (!(await this.organisation.townshipExists(m, townshipId))) throw notFound('该镇');
      const period = month.period;
      const branches = await this.organisation.branchCount(m, townshipId);
      const inserted = await m.query(
        `INSERT INTO settlement (township_id, month, status, branches_total, started_by) VALUES ($1, $2, 'RUNNING', $3, $4)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [townshipId, period, branches, actor.personId],
      );
      const [row] = await m.query(`SELECT status, run FROM settlement WHERE township_id = $1 AND month = $2 FOR UPDATE`, [
        townshipId,
        period,
      ]);
      if (row.status === SettlementStatus.SUCCEEDED) return { run: row.run, status: row.status };
      let run: number = row.run;
      if (row.status === SettlementStatus.FAILED) {
        run += 1;
        await m.query(
          `UPDATE settlement SET status = 'RUNNING', run = $3, branches_total = $4, started_by = $5, started_at = now(),
                  finished_at = NULL, error = NULL, error_code = NULL, reconciliation = NULL, trial_balance = NULL
           WHERE township_id = $1 AND month = $2`,
          [townshipId, period, run, branches, actor.personId],
        );
      }
      await this.closeThrough(m, townshipId, month.text, actor.personId);
      // A new settlement or a new run after a failure; re-starting a running one is not an action.
      if (inserted.length || run !== row.run) {
        await this.audit.record(m, { townshipId, actorId: actor.personId, action: 'settlement.start', subject: month.text, details: { run } });
      }
      return { run, status: SettlementStatus.RUNNING };
    });
    // After commit: the month is closed before any figure is computed. Queuing again
    // for a RUNNING settlement is harmless (same job ids) and recovers a lost queue.
    if (status === SettlementStatus.RUNNING) await this.enqueue(townshipId, month.text, run);
    return this.tx.run((m) => this.load(m, townshipId, month.text)) as Promise<Settlement>;
  }

  /**
   * Closes the month and every earlier month the township has booked into: a month's
   * opening balances come from the months before it, so they must not change either.
   */
  private async closeThrough(m: EntityManager, townshipId: string, month: string, closedBy: string | null): Promise<void> {
    const first = await this.ledgerReads.firstBookedMonth(m, townshipId, monthToPeriodDate(month));
    for (let p = first ?? month; p <= month; p = addMonths(p, 1)) await this.ledger.closePeriod(m, townshipId, p, closedBy);
  }

  private async enqueue(townshipId: string, month: string, run: number): Promise<void> {
    const data: SettlementJobData = { townshipId, month, run };
    await this.queues.flows.add({
      name: SettlementJob.TOWNSHIP,
      queueName: SETTLEMENT_QUEUE,
      data,
      opts: { ...RETRIED_JOB_OPTIONS, jobId: settleTownshipJobId(townshipId, month, run) },
      // A child that cannot finish fails the settlement instead of leaving it waiting.
      children: [
        { name: SettlementJob.FIGURES, queueName: SETTLEMENT_QUEUE, data, opts: { ...RETRIED_JOB_OPTIONS, jobId: settleStepJobId(townshipId, month, run, 'figures'), failParentOnFailure: true } },
        { name: SettlementJob.SEAL, queueName: SETTLEMENT_QUEUE, data, opts: { ...RETRIED_JOB_OPTIONS, jobId: settleStepJobId(townshipId, month, run, 'seal'), failParentOnFailure: true } },
      ],
    });
  }

  // ---- the jobs -------------------------------------------------------------

  /** Flow child: every branch's figures, computed once. */
  async settleFigures({ townshipId, month }: SettlementJobData): Promise<void> {
    await this.tx.run(async (m) => {
      const period = monthToPeriodDate(month);
      const [settlement] = await m.query(`SELECT status FROM settlement WHERE township_id = $1 AND month = $2`, [townshipId, period]);
      if (!settlement) throw new Error(`no settlement of ${month} for township ${townshipId}`);
      // Figures of an open month could change under us; start() closed it before queuing.
      if (!(await this.ledger.isPeriodClosed(m, townshipId, month))) throw new Error(`period ${month} is not closed`);
      await m.query(`SET LOCAL work_mem = '64MB'`); // one statement over the month: hash it in memory
      const flows = await this.ledgerReads.branchMonthFigures(m, townshipId, period);
      const names = await this.organisation.residentNames(m, [...new Set(flows.flatMap((f) => f.topEarners.map((t) => t.residentId)))]);
      const figures = flows.map((f) => ({
        ...f,
        topVolunteers: f.topEarners.map((t) => ({ residentId: t.residentId, name: names.get(t.residentId), points: t.points })),
      }));
      const branches = await this.organisation.branchesOf(m, townshipId);
      await m.query(INSERT_BRANCH_FIGURES_SQL, [townshipId, period, branches.map((b) => b.id), JSON.stringify(figures)]);
    });
  }

  /**
   * Flow child: the reconciliation of the whole ledger and, when it is clean, the seals
   * of the closed months up to this one. Returns the report for the township step.
   */
  async settleSeal({ townshipId, month }: SettlementJobData): Promise<ReconciliationReport> {
    const { report, sealable } = await this.tx.run((m) => this.ledger.reconcileAndPrepareSeals(m, townshipId, month));
    if (sealable.length) await this.tx.run((m) => this.ledger.seal(m, townshipId, sealable));
    return report;
  }

  /**
   * Flow parent: snapshots every account, checks the books and finishes the settlement.
   * `reconciliation` is the seal child's report (absent if its result was lost: then
   * the reconciliation runs again here).
   */
  async settleTownship({ townshipId, month, run }: SettlementJobData, reconciliation?: ReconciliationReport): Promise<void> {
    const period = monthToPeriodDate(month);
    const [current] = await this.tx.run((m) =>
      m.query(`SELECT status, run FROM settlement WHERE township_id = $1 AND month = $2`, [townshipId, period]),
    );
    if (!current || current.run !== run || current.status !== SettlementStatus.RUNNING) return; // done, or superseded

    const report = reconciliation ?? (await this.tx.run((m) => this.ledger.reconcile(m, townshipId)));
    try {
      await this.tx.run(async (m) => {
        // A seal that no longer matches comes first: it means history was changed.
        const brokenSeal = describeBrokenSeal(report);
        if (brokenSeal) throw new SettlementCheckFailed('LEDGER_SEAL_BROKEN', brokenSeal);
        await m.query(`SET LOCAL work_mem = '64MB'`);
        await this.ledger.snapshotPeriod(m, townshipId, month);
        const trialBalance = await this.trialBalance(m, townshipId, period);
        const [{ done, total }] = await m.query(
          `SELECT (SELECT count(*) FROM settlement_branch WHERE township_id = $1 AND month = $2)::int AS done,
                  (SELECT branches_total FROM settlement WHERE township_id = $1 AND month = $2) AS total`,
          [townshipId, period],
        );
        const problems: string[] = [];
        if (trialBalance.total !== 0) problems.push(`试算不平衡：期末余额合计 ${trialBalance.total}`);
        if (!report.ok) problems.push(describeReconciliationFailure(report));
        if (done < total) problems.push(`分行数据不完整：${done}/${total}`);
        if (!(await this.seals.seal(m, townshipId, month))) problems.push(`${month} 未能封存`);
        // Rolls the snapshots back: a failed settlement leaves nothing half-done.
        if (problems.length) throw new SettlementCheckFailed('RECONCILIATION_FAILED', problems.join('；'));
        // Honours own their tables; recorded here so that they exist exactly when the month is settled.
        await this.honours.recordMonth(m, townshipId, month);
        await m.query(
          `UPDATE settlement SET status = 'SUCCEEDED', finished_at = now(), trial_balance = $4, reconciliation = $5
           WHERE township_id = $1 AND month = $2 AND run = $3 AND status = 'RUNNING'`,
          [townshipId, period, run, JSON.stringify(trialBalance), JSON.stringify(report)],
        );
        await this.outbox.emit(m, {
          townshipId,
          to: { townshipAdmins: true },
          key: `settlement:${month}:${run}`,
          facts: { kind: NotificationKind.SETTLEMENT_FINISHED, month },
        });
      });
    } catch (error) {
      // The books do not balance: say so loudly, and fail the job for good (no retry can fix it).
      if (error instanceof SettlementCheckFailed) await this.markFailed(townshipId, month, run, error.message, report, error.code);
      throw error;
    }
  }

  /** Records why a run failed (called once its job has failed for good). */
  async markFailed(
    townshipId: string,
    month: string,
    run: number,
    error: string,
    reconciliation?: ReconciliationReport,
    code: ErrorCode = 'SETTLEMENT_FAILED',
  ): Promise<void> {
    this.logger.error(`settlement of ${month} for township ${townshipId} failed: ${code} ${error}`);
    await this.tx.run((m) =>
      m.query(
        `UPDATE settlement SET status = 'FAILED', finished_at = now(), error = $4, error_code = $6,
                reconciliation = coalesce($5::jsonb, reconciliation)
         WHERE township_id = $1 AND month = $2 AND run = $3 AND status = 'RUNNING'`,
        [townshipId, monthToPeriodDate(month), run, error.slice(0, 4000), reconciliation ? JSON.stringify(reconciliation) : null, code],
      ),
    );
  }

  private async trialBalance(m: EntityManager, townshipId: string, period: string): Promise<TrialBalance> {
    const lines = await this.ledgerReads.trialBalanceLines(m, townshipId, period);
    const parsed = lines.map((l) => ({ kind: l.kind as TrialBalance['lines'][number]['kind'], accounts: l.accounts, closing: Number(l.closing) }));
    return { total: parsed.reduce((s, l) => s + l.closing, 0), lines: parsed };
  }

  // ---- reading --------------------------------------------------------------

  async settlement(actor: Principal, townshipId: string, month: Month): Promise<Settlement | null> {
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    return this.tx.run((m) => this.load(m, townshipId, month.text));
  }

  async branchFigures(actor: Principal, branchId: string, month: Month): Promise<BranchFigures | null> {
    return this.tx.run(async (m) => {
      const townshipId = await this.organisation.townshipOfBranch(m, branchId);
      if (!townshipId) throw notFound('该村（社区）');
      requireCapability(actor, Capability.MANAGE, { townshipId, branchId });
      // A failed or running settlement has figures for some branches, but they are not the books.
      if (!(await this.isSettled(m, townshipId, month))) return null;
      const [figures] = await this.figures(m, townshipId, month.text, branchId);
      return figures ?? null;
    });
  }

  /** Branch figures as CSV (UTF-8 with BOM, so spreadsheet software reads the Chinese). */
  async figuresCsv(actor: Principal, townshipId: string, month: Month, branchId?: string): Promise<string> {
    requireCapability(actor, branchId ? Capability.MANAGE : Capability.ADMINISTER, { townshipId, branchId });
    const rows = await this.tx.run(async (m) => {
      if (!(await this.isSettled(m, townshipId, month))) throw new DomainError('MONTH_NOT_SETTLED');
      return this.figures(m, townshipId, month.text, branchId);
    });
    const header = ['月份', '村（社区）', '发放积分', '兑换积分', '净发放', '活动场次', '志愿者人数', '课程参与人数'];
    const lines = rows.map((f) =>
      [f.month, f.branchName, f.pointsMinted, f.pointsSpent, f.net, f.activitiesHeld, f.distinctVolunteers, f.distinctCourseTakers]
        .map(csvCell)
        .join(','),
    );
    return '\uFEFF' + [header.join(','), ...lines].join('\r\n') + '\r\n';
  }

  async monthlyStatement(actor: Principal, month: Month): Promise<MonthlyStatement> {
    const resident = requireResident(actor);
    return this.tx.run(async (m) => {
      if (!(await this.isSettled(m, resident.townshipId, month))) throw new DomainError('MONTH_NOT_SETTLED');
      const row = await this.ledgerReads.residentPeriodBalance(m, resident.id, month.period);
      // An account opened after the settlement had nothing in the month.
      return {
        month: month.text,
        opening: Number(row?.opening ?? 0),
        earned: Number(row?.earned ?? 0),
        spent: Number(row?.spent ?? 0),
        expired: Number(row?.expired ?? 0),
        closing: Number(row?.closing ?? 0),
      };
    });
  }

  private async isSettled(m: EntityManager, townshipId: string, month: Month): Promise<boolean> {
    const [settled] = await m.query(`SELECT 1 FROM settlement WHERE township_id = $1 AND month = $2 AND status = 'SUCCEEDED'`, [
      townshipId,
      month.period,
    ]);
    return !!settled;
  }

  private async load(m: EntityManager, townshipId: string, month: string): Promise<Settlement | null> {
    const [row] = await m.query(
      `SELECT s.status, s.run, s.branches_total AS "branchesTotal", s.started_at AS "startedAt", s.finished_at AS "finishedAt",
              s.error, s.error_code AS "errorCode", s.trial_balance AS "trialBalance", s.reconciliation
       FROM settlement s WHERE s.township_id = $1 AND s.month = $2`,
      [townshipId, monthToPeriodDate(month)],
    );
    if (!row) return null;
    const branches = await this.figures(m, townshipId, month);
    // Reports stored before seals existed have no entry problems or sealed months.
    const reconciliation = row.reconciliation
      ? { entryProblems: [], sealedMonths: [], ...row.reconciliation, checkedAt: new Date(row.reconciliation.checkedAt) }
      : null;
    const seal = await this.seals.seal(m, townshipId, month);
    return { townshipId, month, ...row, reconciliation, seal, branchesDone: branches.length, branches };
  }

  private async figures(m: EntityManager, townshipId: string, month: string, branchId?: string): Promise<BranchFigures[]> {
    const stored: Record<string, any>[] = await m.query(
      `SELECT f.branch_id AS "branchId", f.points_minted AS "pointsMinted", f.points_spent AS "pointsSpent",
              f.activities_held AS "activitiesHeld", f.distinct_volunteers AS "distinctVolunteers",
              f.distinct_course_takers AS "distinctCourseTakers", f.top_volunteers AS "topVolunteers"
       FROM settlement_branch f
       WHERE f.township_id = $1 AND f.month = $2 AND ($3::uuid IS NULL OR f.branch_id = $3)`,
      [townshipId, monthToPeriodDate(month), branchId ?? null],
    );
    if (!stored.length) return [];
    // In the order of the branches' names, as the organisation sorts them.
    const byBranch = new Map(stored.map((r) => [r.branchId, r]));
    return (await this.organisation.branchesOf(m, townshipId)).flatMap((b): BranchFigures[] => {
      const r = byBranch.get(b.id);
      if (!r) return [];
      return [
        {
          ...(r as Omit<BranchFigures, 'branchName' | 'month' | 'net'>),
          branchName: b.name,
          month,
          pointsMinted: Number(r.pointsMinted),
          pointsSpent: Number(r.pointsSpent),
          net: Number(r.pointsMinted) - Number(r.pointsSpent),
        },
      ];
    });
  }
}


function csvCell(value: unknown): string {
  const s = String(value);
  // Quote always-risky cells; a leading = + - @ would be run as a formula by spreadsheets.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d+$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const SEAL_PROBLEMS = new Set([EntryProblemKind.CHANGED_AFTER_SEAL, EntryProblemKind.MISSING_FROM_SEAL, EntryProblemKind.ADDED_AFTER_SEAL]);

/** What no longer matches a seal, naming the month and the entry; null when every seal holds. */
function describeBrokenSeal(r: ReconciliationReport): string | null {
  const entry = r.entryProblems.find((p) => SEAL_PROBLEMS.has(p.problem));
  const month = r.sealedMonths.find((s) => !s.ok);
  const why = entry?.description ?? month?.problem;
  return why ? `账本封存校验失败：${why}` : null;
}

function describeReconciliationFailure(r: ReconciliationReport): string {
  const parts: string[] = [];
  if (r.mismatchedAccounts.length) {
    parts.push(
      `账户余额与分录不符：${r.mismatchedAccounts
        .slice(0, 20)
        .map((a) => `${a.accountId}(${a.kind}) 存储 ${a.stored} / 计算 ${a.computed}`)
        .join('，')}${r.mismatchedAccounts.length > 20 ? ` 等共 ${r.mismatchedAccounts.length} 个账户` : ''}`,
    );
  }
  if (r.unbalancedEntries.length) parts.push(`不平衡记账：${r.unbalancedEntries.slice(0, 20).map((e) => e.entryId).join('，')}`);
  if (r.entryProblems.length) parts.push(r.entryProblems.slice(0, 20).map((p) => p.description).join('，'));
  if (r.storedTotal !== 0 || r.postedTotal !== 0) parts.push(`全镇合计不为零（余额 ${r.storedTotal}，分录 ${r.postedTotal}）`);
  return `对账失败：${parts.join('；')}`;
}

/**
 * Every branch's figures for a closed month ($1 township, $2 period, $3 the township's
 * branch ids, $4 the ledger's flows per branch as JSON, top volunteers named), once: a
 * branch with no flow gets zeros.
 */
const INSERT_BRANCH_FIGURES_SQL = `
  INSERT INTO settlement_branch (township_id, month, branch_id, points_minted, points_spent, activities_held,
                                 distinct_volunteers, distinct_course_takers, top_volunteers)
  SELECT $1::uuid, $2::date, b.id, coalesce(f.minted, 0), coalesce(f.spent, 0), coalesce(f.held, 0),
         coalesce(f.volunteers, 0), coalesce(f."courseTakers", 0), coalesce(f."topVolunteers", '[]'::jsonb)
  FROM unnest($3::uuid[]) AS b(id)
  LEFT JOIN jsonb_to_recordset($4::jsonb) AS f("branchId" uuid, minted int8, spent int8, held int, volunteers int, "courseTakers" int, "topVolunteers" jsonb)
    ON f."branchId" = b.id
  ON CONFLICT DO NOTHING`;
