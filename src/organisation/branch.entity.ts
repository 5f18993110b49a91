import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum BranchKind {
  VILLAGE = 'VILLAGE',
  COMMUNITY = 'COMMUNITY',
}
registerEnumType(BranchKind, { name: 'BranchKind', description: '行政村 or 城市社区' });

/** A village or urban community (分行) of a township. */
@ObjectType({ description: '村/社区（分行）' })
@Entity('branch')
export class Branch {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field()
  @Column()
  name: string;

  @Field(() => BranchKind)
  @Column({ type: 'text' })
  kind: BranchKind;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
