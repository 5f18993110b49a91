import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { LedgerSealModel } from '../../ledger/dto/ledger-seal.models';
import { ReconciliationReportModel } from '../../ledger/dto/ledger.models';
import { AccountKind } from '../../ledger/ledger.types';

export enum SettlementStatus {
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(SettlementStatus, { name: 'SettlementStatus' });

@ObjectType()
export class TopVolunteer {
  @Field(() => ID)
  residentId: string;

  @Field()
  name: string;

  @Field(() => Int, { description: 'Points earned from this branch in the month (net of reversals).' })
  points: number;
}

@ObjectType({ description: "A branch's figures for a settled month, from the ledger." })
export class BranchFigures {
  @Field(() => ID)
  branchId: string;

  @Field()
  branchName: string;

  @Field()
  month: string;

  @Field(() => Int, { description: 'Points minted by the branch in the month, net of mint reversals booked in it.' })
  pointsMinted: number;

  @Field(() => Int, { description: "Points spent on the branch's courses in the month, net of refunds booked in it." })
  pointsSpent: number;

  @Field(() => Int, { description: 'pointsMinted - pointsSpent.' })
  net: number;

  @Field(() => Int, { description: 'Distinct activities that minted points in the month.' })
  activitiesHeld: number;

  @Field(() => Int)
  distinctVolunteers: number;

  @Field(() => Int)
  distinctCourseTakers: number;

  @Field(() => [TopVolunteer], { description: 'Top 10 residents by points earned from the branch in the month.' })
  topVolunteers: TopVolunteer[];
}

@ObjectType()
export class TrialBalanceLine {
  @Field(() => AccountKind)
  kind: AccountKind;

  @Field(() => Int)
  accounts: number;

  @Field(() => Int, { description: 'Sum of the closing balances of these accounts.' })
  closing: number;
}

@ObjectType({ description: 'Closing balances of every account of the township at month end, by kind; they sum to zero.' })
export class TrialBalance {
  @Field(() => Int)
  total: number;

  @Field(() => [TrialBalanceLine])
  lines: TrialBalanceLine[];
}

@ObjectType({ description: 'The settlement of a month: progress while it runs, results once it has.' })
export class Settlement {
  @Field(() => ID)
  townshipId: string;

  @Field()
  month: string;

  @Field(() => SettlementStatus)
  status: SettlementStatus;

  @Field(() => Int, { description: 'Attempt number: a failed settlement started again runs again.' })
  run: number;

  @Field(() => Int)
  branchesTotal: number;

  @Field(() => Int)
  branchesDone: number;

  @Field()
  startedAt: Date;

  @Field(() => Date, { nullable: true })
  finishedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it failed, naming the accounts or entries at fault.' })
  error: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why it failed, as a code: LEDGER_SEAL_BROKEN (a sealed month was changed), RECONCILIATION_FAILED, SETTLEMENT_FAILED.',
  })
  errorCode: string | null;

  @Field(() => TrialBalance, { nullable: true })
  trialBalance: TrialBalance | null;

  @Field(() => ReconciliationReportModel, { nullable: true })
  reconciliation: ReconciliationReportModel | null;

  @Field(() => LedgerSealModel, { nullable: true, description: "The month's seal, once settled: publish `seal` on the notice board." })
  seal: LedgerSealModel | null;

  @Field(() => [BranchFigures], { description: 'Figures of the branches done so far, by branch name.' })
  branches: BranchFigures[];
}

@ObjectType({ description: "A resident's statement for a settled month: opening + earned - spent - expired = closing." })
export class MonthlyStatement {
  @Field()
  month: string;

  @Field(() => Int)
  opening: number;

  @Field(() => Int, { description: 'Points received in the month (activities, corrections), net of their reversals; not expiry.' })
  earned: number;

  @Field(() => Int, { description: 'Points spent in the month, net of refunds.' })
  spent: number;

  @Field(() => Int, { description: "Points expired in the month by the township's yearly reset (过期清零), net of any reversal." })
  expired: number;

  @Field(() => Int)
  closing: number;
}
