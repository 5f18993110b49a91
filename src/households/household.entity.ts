import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A household (户) of one branch, with a head who is always one of its members. */
@Entity('household')
export class Household {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'township_id' })
  townshipId: string;

  @Column({ name: 'branch_id' })
  branchId: string;

  @Column({ name: 'head_resident_id' })
  headResidentId: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** A resident's membership of a household; a resident belongs to at most one. */
@Entity('household_member')
export class HouseholdMember {
  @PrimaryColumn('uuid', { name: 'household_id' })
  householdId: string;

  @PrimaryColumn('uuid', { name: 'resident_id' })
  residentId: string;

  @Column({ name: 'township_id' })
  townshipId: string;

  @Column({ name: 'added_by', type: 'uuid', nullable: true })
  addedBy: string | null;

  @Column({ name: 'joined_at', type: 'timestamptz' })
  joinedAt: Date;
}

/** Someone in a household without an account (a child, an elder without a phone): a name and a birth year. */
@Entity('household_dependent')
export class HouseholdDependent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'township_id' })
  townshipId: string;

  @Column({ name: 'household_id' })
  householdId: string;

  @Column()
  name: string;

  @Column({ name: 'birth_year', type: 'int' })
  birthYear: number;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt: Date | null;

  @Column({ name: 'removed_by', type: 'uuid', nullable: true })
  removedBy: string | null;
}
