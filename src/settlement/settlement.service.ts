import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Capability, requireCapability, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { addMonths, assertMonth, hasEnded, monthToPeriodDate } from '../common/time/shanghai-month';
import { TransactionRunner } from '../database/transaction.runner';
import { JobQueues } from '../jobs/job-queues';
import { SETTLEMENT_QUEUE, SettlementJob, SettlementJobData, settleBranchJobId, settleTownshipJobId } from '../jobs/job.constants';
import { LedgerService, ReconciliationReport } from '../ledger/ledger.service';
import { BranchFigures, MonthlyStatement, Settlement, SettlementStatus, TrialBalance } from './dto/settlement.models';
import { AuditService } from '../audit/audit.service';

const JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 40 * 24 * 3600 },
  removeOnFail: { age: 40 * 24 * 3600 },
};

/** Thrown by the township step when the books do not balance: retrying cannot help. */
export class SettlementCheckFailed extends Error {}

/**
 * The monthly settlement of a township (DESIGN.md §5).
 *
 * 1. `start` (an admin): closes the month, and every earlier month, in the same
 *    transaction that records the settlement; closing waits for bookings in flight,
 *    and any later booking into those months fails with PERIOD_CLOSED. Then it queues
 *    a flow: one child per branch, the township step as the parent.
 * 2. Each branch child computes the branch's figures from the (now immutable) ledger
 *    and inserts them once (primary key, ON CONFLICT DO NOTHING).
 * 3. The township step proves the books (trial balance, reconciliation), writes every
 *    account's closing snapshot and marks the settlement SUCCEEDED in one transaction.
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
    private readonly queues: JobQueues,
    private readonly audit: AuditService,
  ) {}

  // ---- starting -------------------------------------------------------------

  async start(actor: Principal, townshipId: string, month: string): Promise<Settlement> {
    assertMonth(month);
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    if (!hasEnded(month)) throw new DomainError('MONTH_NOT_ENDED');
    const { run, status, branchIds } = await this.tx.run(async (m) => {
      const [township] = await m.query(`SELECT 1 FROM township WHERE id = $1`, [townshipId]);
      if (!township) throw notFound('该镇');
      const period = monthToPeriodDate(month);
      const branchIds: string[] = (await m.query(`SELECT id FROM branch WHERE township_id = $1 ORDER BY id`, [townshipId])).map(
        (b: { id: string }) => b.id,
      );
      const inserted = await m.query(
        `INSERT INTO settlement (township_id, month, status, branches_total, started_by) VALUES ($1, $2, 'RUNNING', $3, $4)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [townshipId, period, branchIds.length, actor.personId],
      );
      const [row] = await m.query(`SELECT status, run FROM settlement WHERE township_id = $1 AND month = $2 FOR UPDATE`, [
        townshipId,
        period,
      ]);
      if (row.status === SettlementStatus.SUCCEEDED) return { run: row.run, status: row.status, branchIds };
      let run: number = row.run;
      if (row.status === SettlementStatus.FAILED) {
        run += 1;
        await m.query(
          `UPDATE settlement SET status = 'RUNNING', run = $3, branches_total = $4, started_by = $5, started_at = now(),
                  finished_at = NULL, error = NULL, reconciliation = NULL, trial_balance = NULL
           WHERE township_id = $1 AND month = $2`,
          [townshipId, period, run, branchIds.length, actor.personId],
        );
      }
      await this.closeThrough(m, townshipId, month, actor.personId);
      // A new settlement or a new run after a failure; re-starting a running one is not an action.
      if (inserted.length || run !== row.run) {
        await this.audit.record(m, { townshipId, actorId: actor.personId, action: 'settlement.start', subject: month, details: { run } });
      }
      return { run, status: SettlementStatus.RUNNING, branchIds };
    });
    // After commit: the month is closed before any figure is computed. Queuing again
    // for a RUNNING settlement is harmless (same job ids) and recovers a lost queue.
    if (status === SettlementStatus.RUNNING) await this.enqueue(townshipId, month, run, branchIds);
    return this.tx.run((m) => this.load(m, townshipId, month)) as Promise<Settlement>;
  }

  /**
   * Closes the month and every earlier month the township has booked into: a month's
   * opening balances come from the months before it, so they must not change either.
   */
  private async closeThrough(m: EntityManager, townshipId: string, month: string, closedBy: string | null): Promise<void> {
    const [{ first }] = await m.query(
      `SELECT to_char(min(period), 'YYYY-MM') AS first FROM posting WHERE township_id = $1 AND period <= $2`,
      [townshipId, monthToPeriodDate(month)],
    );
    for (let p = first ?? month; p <= month; p = addMonths(p, 1)) await this.ledger.closePeriod(m, townshipId, p, closedBy);
  }

  private async enqueue(townshipId: string, month: string, run: number, branchIds: string[]): Promise<void> {
    const data: SettlementJobData = { townshipId, month, run };
    await this.queues.flows.add({
      name: SettlementJob.TOWNSHIP,
      queueName: SETTLEMENT_QUEUE,
      data,
      opts: { ...JOB_OPTIONS, jobId: settleTownshipJobId(townshipId, month, run) },
      children: branchIds.map((branchId) => ({
        name: SettlementJob.BRANCH,
        queueName: SETTLEMENT_QUEUE,
        data: { ...data, branchId },
        // A branch that cannot be settled fails the settlement instead of leaving it waiting.
        opts: { ...JOB_OPTIONS, jobId: settleBranchJobId(townshipId, month, run, branchId), failParentOnFailure: true },
      })),
    });
  }

  // ---- the jobs -------------------------------------------------------------

  /** Flow child: one branch's figures, computed once. */
  async settleBranch({ townshipId, month, branchId }: SettlementJobData): Promise<void> {
    await this.tx.run(async (m) => {
      const period = monthToPeriodDate(month);
      const [settlement] = await m.query(`SELECT status FROM settlement WHERE township_id = $1 AND month = $2`, [townshipId, period]);
      if (!settlement) throw new Error(`no settlement of ${month} for township ${townshipId}`);
      // Figures of an open month could change under us; start() closed it before queuing.
      if (!(await this.ledger.isPeriodClosed(m, townshipId, month))) throw new Error(`period ${month} is not closed`);
      await m.query(BRANCH_FIGURES_SQL, [townshipId, period, branchId]);
    });
  }

  /** Flow parent: proves the books, snapshots every account and finishes the settlement. */
  async settleTownship({ townshipId, month, run }: SettlementJobData): Promise<void> {
    const period = monthToPeriodDate(month);
    const [current] = await this.tx.run((m) =>
      m.query(`SELECT status, run FROM settlement WHERE township_id = $1 AND month = $2`, [townshipId, period]),
    );
    if (!current || current.run !== run || current.status !== SettlementStatus.RUNNING) return; // done, or superseded

    const reconciliation = await this.tx.run((m) => this.ledger.reconcile(m, townshipId));
    try {
      await this.tx.run(async (m) => {
        await m.query(SNAPSHOT_SQL, [townshipId, period]);
        const trialBalance = await this.trialBalance(m, townshipId, period);
        const [{ done, total }] = await m.query(
          `SELECT (SELECT count(*) FROM settlement_branch WHERE township_id = $1 AND month = $2)::int AS done,
                  (SELECT branches_total FROM settlement WHERE township_id = $1 AND month = $2) AS total`,
          [townshipId, period],
        );
        const problems: string[] = [];
        if (trialBalance.total !== 0) problems.push(`试算不平衡：期末余额合计 ${trialBalance.total}`);
        if (!reconciliation.ok) problems.push(describeReconciliationFailure(reconciliation));
        if (done < total) problems.push(`分行数据不完整：${done}/${total}`);
        // Rolls the snapshots back: a failed settlement leaves nothing half-done.
        if (problems.length) throw new SettlementCheckFailed(problems.join('；'));
        await m.query(
          `UPDATE settlement SET status = 'SUCCEEDED', finished_at = now(), trial_balance = $4, reconciliation = $5
           WHERE township_id = $1 AND month = $2 AND run = $3 AND status = 'RUNNING'`,
          [townshipId, period, run, JSON.stringify(trialBalance), JSON.stringify(reconciliation)],
        );
      });
    } catch (error) {
      // The books do not balance: say so loudly, and fail the job for good (no retry can fix it).
      if (error instanceof SettlementCheckFailed) await this.markFailed(townshipId, month, run, error.message, reconciliation);
      throw error;
    }
  }

  /** Records why a run failed (called once its job has failed for good). */
  async markFailed(townshipId: string, month: string, run: number, error: string, reconciliation?: ReconciliationReport): Promise<void> {
    this.logger.error(`settlement of ${month} for township ${townshipId} failed: ${error}`);
    await this.tx.run((m) =>
      m.query(
        `UPDATE settlement SET status = 'FAILED', finished_at = now(), error = $4,
                reconciliation = coalesce($5::jsonb, reconciliation)
         WHERE township_id = $1 AND month = $2 AND run = $3 AND status = 'RUNNING'`,
        [townshipId, monthToPeriodDate(month), run, error.slice(0, 4000), reconciliation ? JSON.stringify(reconciliation) : null],
      ),
    );
  }

  private async trialBalance(m: EntityManager, townshipId: string, period: string): Promise<TrialBalance> {
    const lines: { kind: string; accounts: number; closing: string }[] = await m.query(
      `SELECT a.kind, count(*)::int AS accounts, coalesce(sum(s.closing), 0)::int8 AS closing
       FROM account_period_balance s JOIN account a ON a.id = s.account_id
       WHERE s.township_id = $1 AND s.period = $2 GROUP BY a.kind ORDER BY a.kind`,
      [townshipId, period],
    );
    const parsed = lines.map((l) => ({ kind: l.kind as TrialBalance['lines'][number]['kind'], accounts: l.accounts, closing: Number(l.closing) }));
    return { total: parsed.reduce((s, l) => s + l.closing, 0), lines: parsed };
  }

  // ---- reading --------------------------------------------------------------

  async settlement(actor: Principal, townshipId: string, month: string): Promise<Settlement | null> {
    assertMonth(month);
    requireCapability(actor, Capability.ADMINISTER, { townshipId });
    return this.tx.run((m) => this.load(m, townshipId, month));
  }

  async branchFigures(actor: Principal, branchId: string, month: string): Promise<BranchFigures | null> {
    assertMonth(month);
    return this.tx.run(async (m) => {
      const [branch] = await m.query(`SELECT township_id AS "townshipId" FROM branch WHERE id = $1`, [branchId]);
      if (!branch) throw notFound('该村（社区）');
      requireCapability(actor, Capability.MANAGE, { townshipId: branch.townshipId, branchId });
      const [figures] = await this.figures(m, branch.townshipId, month, branchId);
      return figures ?? null;
    });
  }

  /** Branch figures as CSV (UTF-8 with BOM, so spreadsheet software reads the Chinese). */
  async figuresCsv(actor: Principal, townshipId: string, month: string, branchId?: string): Promise<string> {
    assertMonth(month);
    requireCapability(actor, branchId ? Capability.MANAGE : Capability.ADMINISTER, { townshipId, branchId });
    const rows = await this.tx.run(async (m) => {
      const [settlement] = await m.query(`SELECT status FROM settlement WHERE township_id = $1 AND month = $2`, [
        townshipId,
        monthToPeriodDate(month),
      ]);
      if (settlement?.status !== SettlementStatus.SUCCEEDED) throw new DomainError('MONTH_NOT_SETTLED');
      return this.figures(m, townshipId, month, branchId);
    });
    const header = ['月份', '村（社区）', '发放积分', '兑换积分', '净发放', '活动场次', '志愿者人数', '课程参与人数'];
    const lines = rows.map((f) =>
      [f.month, f.branchName, f.pointsMinted, f.pointsSpent, f.net, f.activitiesHeld, f.distinctVolunteers, f.distinctCourseTakers]
        .map(csvCell)
        .join(','),
    );
    return '\uFEFF' + [header.join(','), ...lines].join('\r\n') + '\r\n';
  }

  async monthlyStatement(actor: Principal, month: string): Promise<MonthlyStatement> {
    assertMonth(month);
    const resident = requireResident(actor);
    return this.tx.run(async (m) => {
      const [settled] = await m.query(`SELECT 1 FROM settlement WHERE township_id = $1 AND month = $2 AND status = 'SUCCEEDED'`, [
        resident.townshipId,
        monthToPeriodDate(month),
      ]);
      if (!settled) throw new DomainError('MONTH_NOT_SETTLED');
      const [row] = await m.query(
        `SELECT s.opening, s.earned, s.spent, s.closing FROM account_period_balance s JOIN account a ON a.id = s.account_id
         WHERE a.resident_id = $1 AND s.period = $2`,
        [resident.id, monthToPeriodDate(month)],
      );
      // An account opened after the settlement had nothing in the month.
      return {
        month,
        opening: Number(row?.opening ?? 0),
        earned: Number(row?.earned ?? 0),
        spent: Number(row?.spent ?? 0),
        closing: Number(row?.closing ?? 0),
      };
    });
  }

  private async load(m: EntityManager, townshipId: string, month: string): Promise<Settlement | null> {
    const [row] = await m.query(
      `SELECT s.status, s.run, s.branches_total AS "branchesTotal", s.started_at AS "startedAt", s.finished_at AS "finishedAt",
              s.error, s.trial_balance AS "trialBalance", s.reconciliation
       FROM settlement s WHERE s.township_id = $1 AND s.month = $2`,
      [townshipId, monthToPeriodDate(month)],
    );
    if (!row) return null;
    const branches = await this.figures(m, townshipId, month);
    const reconciliation = row.reconciliation ? { ...row.reconciliation, checkedAt: new Date(row.reconciliation.checkedAt) } : null;
    return { townshipId, month, ...row, reconciliation, branchesDone: branches.length, branches };
  }

  private async figures(m: EntityManager, townshipId: string, month: string, branchId?: string): Promise<BranchFigures[]> {
    const rows = await m.query(
      `SELECT f.branch_id AS "branchId", b.name AS "branchName", f.points_minted AS "pointsMinted", f.points_spent AS "pointsSpent",
              f.activities_held AS "activitiesHeld", f.distinct_volunteers AS "distinctVolunteers",
              f.distinct_course_takers AS "distinctCourseTakers", f.top_volunteers AS "topVolunteers"
       FROM settlement_branch f JOIN branch b ON b.id = f.branch_id
       WHERE f.township_id = $1 AND f.month = $2 AND ($3::uuid IS NULL OR f.branch_id = $3)
       ORDER BY b.name`,
      [townshipId, monthToPeriodDate(month), branchId ?? null],
    );
    return rows.map((r: Record<string, any>) => ({
      ...r,
      month,
      pointsMinted: Number(r.pointsMinted),
      pointsSpent: Number(r.pointsSpent),
      net: Number(r.pointsMinted) - Number(r.pointsSpent),
    }));
  }
}


function csvCell(value: unknown): string {
  const s = String(value);
  // Quote always-risky cells; a leading = + - @ would be run as a formula by spreadsheets.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d+$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
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
  if (r.storedTotal !== 0 || r.postedTotal !== 0) parts.push(`全镇合计不为零（余额 ${r.storedTotal}，分录 ${r.postedTotal}）`);
  return `对账失败：${parts.join('；')}`;
}

/**
 * One branch's figures for a closed month, from the ledger only ($1 township, $2 period,
 * $3 branch). Reversals count in the month they are booked in: a mint reversed within
 * the month neither mints nor counts its activity or volunteer; a reversal booked in
 * this month of an earlier month's mint (or a refund of an earlier charge) lowers this
 * month's totals. Adjustments are not branch activity and are left out.
 */
const BRANCH_FIGURES_SQL = `
  WITH acct AS (
    SELECT (SELECT id FROM account WHERE branch_id = $3 AND kind = 'BRANCH_ISSUANCE') AS issuance,
           (SELECT id FROM account WHERE branch_id = $3 AND kind = 'BRANCH_REDEMPTION') AS redemption
  ),
  mint AS (   -- the month's mints from the branch, and reversals of mints
    SELECT e.id, e.kind, e.reference_type, e.reference_id, e.reverses_entry_id, p.amount AS branch_amount
    FROM acct, posting p
    JOIN journal_entry e ON e.id = p.entry_id
    LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
    WHERE p.account_id = acct.issuance AND p.period = $2
      AND (e.kind = 'MINT' OR (e.kind = 'REVERSAL' AND o.kind = 'MINT'))
  ),
  spend AS (  -- the month's charges for the branch's courses, and their refunds
    SELECT e.id, e.kind, e.reference_type, e.reference_id, e.reverses_entry_id, p.amount AS branch_amount
    FROM acct, posting p
    JOIN journal_entry e ON e.id = p.entry_id
    LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
    WHERE p.account_id = acct.redemption AND p.period = $2
      AND (e.kind = 'SPEND' OR (e.kind = 'REVERSAL' AND o.kind = 'SPEND'))
  ),
  -- Not reversed within the month (looked up by the unique index on reverses_entry_id).
  live_mint AS (
    SELECT * FROM mint m WHERE m.kind = 'MINT'
      AND NOT EXISTS (SELECT 1 FROM journal_entry r WHERE r.reverses_entry_id = m.id AND r.period = $2)
  ),
  live_spend AS (
    SELECT * FROM spend s WHERE s.kind = 'SPEND'
      AND NOT EXISTS (SELECT 1 FROM journal_entry r WHERE r.reverses_entry_id = s.id AND r.period = $2)
  ),
  mint_line AS (  -- residents credited (or, for reversals, debited) by those entries
    SELECT m.id AS entry_id, a.resident_id, rp.amount
    FROM mint m JOIN posting rp ON rp.entry_id = m.id JOIN account a ON a.id = rp.account_id AND a.kind = 'RESIDENT'
  ),
  earned AS (
    SELECT resident_id, sum(amount) AS points FROM mint_line GROUP BY resident_id HAVING sum(amount) > 0
    ORDER BY points DESC, resident_id LIMIT 10
  )
  INSERT INTO settlement_branch (township_id, month, branch_id, points_minted, points_spent, activities_held,
                                 distinct_volunteers, distinct_course_takers, top_volunteers)
  SELECT $1::uuid, $2::date, $3::uuid,
    (SELECT coalesce(-sum(branch_amount), 0) FROM mint),
    (SELECT coalesce(sum(branch_amount), 0) FROM spend),
    (SELECT count(DISTINCT reference_id) FROM live_mint WHERE reference_type = 'ACTIVITY'),
    (SELECT count(DISTINCT l.resident_id) FROM mint_line l JOIN live_mint m ON m.id = l.entry_id WHERE l.amount > 0),
    (SELECT count(DISTINCT a.resident_id)
     FROM live_spend s JOIN posting rp ON rp.entry_id = s.id JOIN account a ON a.id = rp.account_id AND a.kind = 'RESIDENT'
     WHERE s.reference_type = 'COURSE' AND rp.amount < 0),
    (SELECT coalesce(jsonb_agg(jsonb_build_object('residentId', e.resident_id, 'name', p.name, 'points', e.points)
                               ORDER BY e.points DESC, e.resident_id), '[]'::jsonb)
     FROM earned e JOIN resident r ON r.id = e.resident_id JOIN person p ON p.id = r.person_id)
  ON CONFLICT DO NOTHING`;

/**
 * Every account's opening, movement and closing for the month ($1 township, $2 period).
 * 'spent' is what spend entries and their refunds moved; 'earned' all the rest.
 */
const SNAPSHOT_SQL = `
  WITH opening AS (
    SELECT account_id, sum(amount) AS amount FROM posting WHERE township_id = $1 AND period < $2 GROUP BY account_id
  ),
  entry AS (
    SELECT e.id, (e.kind = 'SPEND' OR (e.kind = 'REVERSAL' AND o.kind = 'SPEND')) AS is_spend
    FROM journal_entry e LEFT JOIN journal_entry o ON o.id = e.reverses_entry_id
    WHERE e.township_id = $1 AND e.period = $2
  ),
  movement AS (
    SELECT p.account_id,
           coalesce(sum(p.amount) FILTER (WHERE NOT e.is_spend), 0) AS earned,
           coalesce(-sum(p.amount) FILTER (WHERE e.is_spend), 0) AS spent
    FROM posting p JOIN entry e ON e.id = p.entry_id
    WHERE p.township_id = $1 AND p.period = $2
    GROUP BY p.account_id
  )
  INSERT INTO account_period_balance (account_id, period, township_id, opening, earned, spent, closing)
  SELECT a.id, $2::date, $1::uuid, coalesce(o.amount, 0), coalesce(mv.earned, 0), coalesce(mv.spent, 0),
         coalesce(o.amount, 0) + coalesce(mv.earned, 0) - coalesce(mv.spent, 0)
  FROM account a
  LEFT JOIN opening o ON o.account_id = a.id
  LEFT JOIN movement mv ON mv.account_id = a.id
  WHERE a.township_id = $1
  ON CONFLICT DO NOTHING`;
