import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'A civilization-practice theme of a month.' })
export class Theme {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  townshipId: string;

  @Field(() => ID, { nullable: true, description: 'Set for a branch-only theme.' })
  branchId: string | null;

  @Field({ description: 'YYYY-MM' })
  month: string;

  @Field()
  title: string;

  @Field()
  description: string;

  @Field(() => Int)
  suggestedPoints: number;
}

@ObjectType({ description: "A branch's published theme list for a month." })
export class PublishedThemeList {
  @Field(() => ID)
  branchId: string;

  @Field()
  month: string;

  @Field()
  publishedAt: Date;

  @Field(() => [Theme], { description: "The township's themes, then the branch's own." })
  themes: Theme[];
}

@ObjectType({ description: "One branch's list for a month: published or not yet." })
export class BranchPublication {
  @Field(() => ID)
  branchId: string;

  @Field()
  branchName: string;

  @Field(() => Date, { nullable: true, description: 'Null until the list is published.' })
  publishedAt: Date | null;
}

@ObjectType({ description: 'How far the publication of a month has got in a township.' })
export class ThemePublicationStatus {
  @Field(() => ID)
  townshipId: string;

  @Field()
  month: string;

  @Field(() => Int)
  branchesTotal: number;

  @Field(() => Int)
  branchesPublished: number;

  @Field(() => [BranchPublication], { description: 'Every branch, by name, with when its list was published.' })
  branches: BranchPublication[];
}
