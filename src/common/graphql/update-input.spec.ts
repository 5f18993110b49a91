import 'reflect-metadata';
import { Field, InputType } from '@nestjs/graphql';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { UpdateActivityInput } from '../../activities/dto/activity.inputs';
import { UpdateCourseInput } from '../../courses/dto/course.inputs';
import { UpdateInputType } from './update-input';

describe('update inputs derived from create inputs', () => {
  it.each([
    ['UpdateActivityInput', UpdateActivityInput],
    ['UpdateCourseInput', UpdateCourseInput],
  ])('%s: a field left out stays undefined (no create default), the others are validated as on create', (_, type) => {
    const id = '5f0c2f4e-8a7b-4c1d-9e2f-3a4b5c6d7e8f';
    const titleOnly = plainToInstance(type as new () => object, { id, title: '  新标题 ' });
    expect(titleOnly).toEqual({ id, title: '新标题' });
    expect(validateSync(titleOnly)).toEqual([]);
    const bad = validateSync(plainToInstance(type as new () => object, { id, title: '', capacity: 0, branchId: id }));
    expect(bad.map((e) => e.property).sort()).toEqual(['capacity', 'title']);
  });

  it('refuses a create input with a property initializer (its update would inherit it)', () => {
    @InputType()
    class WithInitializer {
      @Field({ defaultValue: '' })
      note: string = '';
    }
    expect(() => UpdateInputType(WithInitializer, [])).toThrow(/not initializers \(note\)/);
  });
});
