import { Injectable } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { JobHandler, JobProcessor } from '../jobs/job-handler';
import { ReconciliationReport } from '../ledger/ledger.service';
import { SETTLEMENT_QUEUE, SettlementJob, SettlementJobData } from './settlement.jobs';
import { SettlementCheckFailed, SettlementService } from './settlement.service';

/** Runs the settlement flow: the figures and seal children, then the township parent. */
@Injectable()
@JobProcessor()
export class SettlementProcessor implements JobHandler {
  readonly queue = SETTLEMENT_QUEUE;
  readonly jobNames = [SettlementJob.FIGURES, SettlementJob.SEAL, SettlementJob.TOWNSHIP];

  constructor(private readonly settlement: SettlementService) {}

  async process(job: Job): Promise<unknown> {
    const data = job.data as SettlementJobData;
    try {
      switch (job.name) {
        case SettlementJob.FIGURES:
          return await this.settlement.settleFigures(data);
        case SettlementJob.SEAL:
          // The township step reads this report from the children's results.
          return { reconciliation: await this.settlement.settleSeal(data) };
        default: {
          const children = Object.values(await job.getChildrenValues()) as ({ reconciliation?: ReconciliationReport } | undefined)[];
          return await this.settlement.settleTownship(data, children.find((c) => c?.reconciliation)?.reconciliation);
        }
      }
    } catch (error) {
      if (error instanceof SettlementCheckFailed) throw new UnrecoverableError(error.message);
      throw error;
    }
  }

  async failedForGood(job: Job, error: Error): Promise<void> {
    if (error instanceof UnrecoverableError) return; // a failed check, already recorded by the service
    const { townshipId, month, run } = job.data as SettlementJobData;
    const step = { [SettlementJob.FIGURES]: '分行数据统计', [SettlementJob.SEAL]: '对账与封存', [SettlementJob.TOWNSHIP]: '全镇结算' }[job.name] ?? job.name;
    await this.settlement.markFailed(townshipId, month, run, `${step}失败：${error.message}`);
  }
}
