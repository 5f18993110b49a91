import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One line of a certificate: an activity with its date and the time served. */
@ObjectType({ description: '证明所列的一次志愿服务' })
export class CertificateLine {
  @Field()
  title: string;

  @Field({ description: 'YYYY-MM-DD, Asia/Shanghai: the day the activity started.' })
  date: string;

  @Field(() => Int)
  minutes: number;

  @Field(() => Float, { description: 'Hours, one decimal.' })
  hours: number;
}

/**
 * A 志愿服务记录证明 as issued: what it states is stored with its number and never changes,
 * so anyone holding the number can confirm it later (the public verification page).
 */
@ObjectType({ description: '志愿服务记录证明' })
@Entity('service_certificate')
export class ServiceCertificate {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field({ description: 'The certificate number, e.g. ZYFW-20261130-7K3M9Q2X: printed on it and in its verification address.' })
  @Column()
  number: string;

  @Field(() => ID)
  @Column({ name: 'township_id' })
  townshipId: string;

  @Field(() => ID)
  @Column({ name: 'branch_id' })
  branchId: string;

  @Field(() => ID)
  @Column({ name: 'resident_id' })
  residentId: string;

  @Field({ description: 'The volunteer, in full (the certificate is theirs; the public page masks it).' })
  @Column({ name: 'resident_name' })
  residentName: string;

  @Field()
  @Column({ name: 'township_name' })
  townshipName: string;

  @Field()
  @Column({ name: 'branch_name' })
  branchName: string;

  @Column({ type: 'jsonb' })
  records: { activityId: string; title: string; date: string; minutes: number }[];

  @Field(() => Int)
  @Column({ name: 'total_minutes', type: 'int' })
  totalMinutes: number;

  @Field()
  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;
}
