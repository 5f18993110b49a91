import { Injectable } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { JobHandler } from '../jobs/job-handler';
import { SETTLEMENT_QUEUE, SettlementJob, SettlementJobData } from '../jobs/job.constants';
import { SettlementCheckFailed, SettlementService } from './settlement.service';

/** Runs the settlement flow: branch children, then the township parent. */
@Injectable()
export class SettlementProcessor implements JobHandler {
  readonly queue = SETTLEMENT_QUEUE;
  readonly jobNames = [SettlementJob.BRANCH, SettlementJob.TOWNSHIP];

  constructor(private readonly settlement: SettlementService) {}

  async process(job: Job): Promise<unknown> {
    const data = job.data as SettlementJobData;
    try {
      if (job.name === SettlementJob.BRANCH) await this.settlement.settleBranch(data);
      else await this.settlement.settleTownship(data);
    } catch (error) {
      if (error instanceof SettlementCheckFailed) throw new UnrecoverableError(error.message);
      throw error;
    }
    return { month: data.month, branchId: data.branchId ?? null };
  }

  async failedForGood(job: Job, error: Error): Promise<void> {
    if (error instanceof UnrecoverableError) return; // a failed check, already recorded by the service
    const { townshipId, month, run, branchId } = job.data as SettlementJobData;
    const where = branchId ? `分行 ${branchId} 结算失败` : '全镇结算失败';
    await this.settlement.markFailed(townshipId, month, run, `${where}：${error.message}`);
  }
}
