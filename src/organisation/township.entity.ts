import { Field, ID, ObjectType } from '@nestjs/graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A township (镇): the head bank (总行). Every other row belongs to exactly one. */
@ObjectType({ description: '镇（总行）' })
@Entity('township')
export class Township {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field({ description: 'Short unique slug, e.g. `lucheng`.' })
  @Column()
  code: string;

  @Field()
  @Column()
  name: string;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
