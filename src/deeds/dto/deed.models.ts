import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';

export enum DeedReportStatus {
  /** Reported; waiting for the branch's scoring group (评议). */
  PENDING = 'PENDING',
  /** Rejected by the scoring group, with its reason. */
  REJECTED = 'REJECTED',
  /** Approved and on the branch's public notice (公示) until `noticeEndsAt`. */
  ON_NOTICE = 'ON_NOTICE',
  /** A resident asked for a recheck (复核) during the notice: back with the scoring group. */
  RECHECK = 'RECHECK',
  /** The notice closed without an open recheck: the points were minted. */
  MINTED = 'MINTED',
}
registerEnumType(DeedReportStatus, { name: 'DeedReportStatus' });

@ObjectType({ description: "A kind of good deed in the township's table, with the most points a report of it may ask." })
export class DeedKind {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  townshipId: string;

  @Field()
  name: string;

  @Field(() => Int, { description: 'The most points a report of this kind may ask, 1-100.' })
  points: number;

  @Field({ description: 'Retired kinds stay on old reports but cannot be chosen for new ones.' })
  active: boolean;
}

@ObjectType({ description: "A township's good-deed settings: the table of kinds and the notice window." })
export class DeedSettings {
  @Field(() => ID)
  townshipId: string;

  @Field(() => Int, { description: 'How many days an approved report stays on the notice (公示) before its points are minted; 3 unless set.' })
  noticeDays: number;

  @Field(() => [DeedKind], { description: 'Every kind, active ones first, by name.' })
  kinds: DeedKind[];
}

@ObjectType({ description: "A member of a branch's scoring group (评议小组): a resident of the branch appointed by its manager." })
export class DeedScorer {
  @Field(() => ID)
  residentId: string;

  @Field(() => ID)
  personId: string;

  @Field()
  name: string;

  @Field()
  appointedAt: Date;
}

@ObjectType({ description: 'A good-deed report (好人好事申报), as its reporter, its resident, the scoring group, managers and admins see it.' })
export class DeedReport {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  townshipId: string;

  @Field(() => ID)
  branchId: string;

  @Field(() => ID, { description: 'The resident who did the deed (and is paid).' })
  residentId: string;

  @Field(() => String, { nullable: true })
  residentName: string | null;

  @Field(() => ID, { description: 'Who reported it: the resident, or a manager for them.' })
  reportedBy: string;

  @Field(() => String, { nullable: true })
  reportedByName: string | null;

  @Field(() => ID)
  kindId: string;

  @Field()
  kindName: string;

  @Field({ description: 'What was done.' })
  title: string;

  @Field()
  description: string;

  @Field({ description: 'When it was done.' })
  occurredAt: Date;

  @Field(() => Int, { description: 'Points asked (and minted once the notice closes).' })
  points: number;

  @Field({ description: 'GET it with the bearer token; answered only to those who may see the report.' })
  photoUrl: string;

  @Field(() => DeedReportStatus)
  status: DeedReportStatus;

  @Field(() => Int, { description: 'How many times it was posted on the notice.' })
  round: number;

  @Field(() => String, { nullable: true, description: "The scoring group's last reason (approval or rejection)." })
  decisionReason: string | null;

  @Field(() => Date, { nullable: true })
  decidedAt: Date | null;

  @Field(() => Date, { nullable: true })
  noticeStartsAt: Date | null;

  @Field(() => Date, { nullable: true })
  noticeEndsAt: Date | null;

  @Field(() => String, { nullable: true, description: 'The reason of the latest recheck request, if any.' })
  recheckReason: string | null;

  @Field(() => ID, { nullable: true, description: 'The ledger entry that paid it (MINT, reference good_deed).' })
  entryId: string | null;

  @Field(() => Date, { nullable: true })
  mintedAt: Date | null;

  @Field()
  createdAt: Date;
}

@ObjectType()
export class DeedReportConnection extends Connection(DeedReport) {}

@ObjectType({ description: "A report on the branch's public notice (公示): the resident's name masked, no photo." })
export class DeedNoticeItem {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  branchId: string;

  @Field({ description: 'Masked: 王*, 马*珍.' })
  residentName: string;

  @Field()
  kindName: string;

  @Field()
  title: string;

  @Field()
  description: string;

  @Field()
  occurredAt: Date;

  @Field(() => Int)
  points: number;

  @Field(() => DeedReportStatus, { description: 'ON_NOTICE, or RECHECK while a recheck is open.' })
  status: DeedReportStatus;

  @Field(() => String, { nullable: true })
  decisionReason: string | null;

  @Field(() => Date)
  noticeEndsAt: Date;

  @Field({ description: 'True when the viewer made this report or it is about them: they may not ask for its recheck (DEED_OWN_RECHECK).' })
  mine: boolean;
}
