import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One human being, known by mobile number; may be a resident, a manager and an admin at once. */
@Entity('person')
export class Person {
  @PrimaryGeneratedColumn('uuid')
  id: string;

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
