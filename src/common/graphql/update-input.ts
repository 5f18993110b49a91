import { Type } from '@nestjs/common';
import { OmitType, PartialType } from '@nestjs/graphql';

/**
 * An update input derived from its create input: every field but `omit` (the scope the
 * record was created in), each optional ("only the fields given change"), with the
 * create input's descriptions and validation, and without its defaults: an update that
 * leaves out `description` keeps the stored one instead of resetting it to ''.
 *
 * The mapped types copy property initializers onto every instance (and the schema reads
 * them as defaults), so a create input states its defaults with `@Field({ defaultValue })`
 * only; one with an initializer is refused here, at start-up.
 */
export function UpdateInputType<T, K extends keyof T>(create: Type<T>, omit: readonly K[]): Type<Partial<Omit<T, K>>> {
  const initialized = Object.keys(new create() as object);
  if (initialized.length) {
    throw new Error(`${create.name}: state defaults with @Field({ defaultValue }), not initializers (${initialized.join(', ')}), or its update input inherits them`);
  }
  return PartialType(OmitType(create, omit), { omitDefaultValues: true }) as Type<Partial<Omit<T, K>>>;
}
