import { registerEnumType } from '@nestjs/graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum Role {
  TOWNSHIP_ADMIN = 'TOWNSHIP_ADMIN',
  BRANCH_MANAGER = 'BRANCH_MANAGER',
  /** Confirms pickups (核销) at one branch's points shop. */
  SHOPKEEPER = 'SHOPKEEPER',
}
registerEnumType(Role, { name: 'Role' });

/** TOWNSHIP_ADMIN of a township, or BRANCH_MANAGER or SHOPKEEPER of one branch. Residency is not a role: see Resident. */
@Entity('role_assignment')
export class RoleAssignment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'person_id' })
  personId: string;

  @Column({ type: 'text' })
  role: Role;

  @Column({ name: 'township_id' })
  townshipId: string;

  @Column({ name: 'branch_id', type: 'uuid', nullable: true })
  branchId: string | null;

  @Column({ name: 'granted_by', type: 'uuid', nullable: true })
  grantedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
