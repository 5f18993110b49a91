import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A township's record of someone, known there by mobile number: a resident, a manager and
 * an admin of that township at once, or any of them. Nothing about them is visible to
 * another township; a human in two townships is two persons (see the township-persons migration).
 */
@Entity('person')
export class Person {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'township_id', type: 'uuid' })
  townshipId: string;

  @Column()
  name: string;

  @Column()
  mobile: string;

  @Column({ name: 'wechat_openid', type: 'text', nullable: true })
  wechatOpenid: string | null;

  /** The openid under the official account whose web authorisation signs in to the web app. */
  @Column({ name: 'wechat_web_openid', type: 'text', nullable: true })
  wechatWebOpenid: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
