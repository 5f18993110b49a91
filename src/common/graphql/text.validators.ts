import { registerDecorator, ValidationOptions } from 'class-validator';

// C0/C1 control characters, bidi marks/overrides/isolates, and the invisible zero-width
// space, word joiner and BOM, used to make look-alike names ("张\u200b三" vs "张三").
// The zero-width (non-)joiners stay allowed: emoji sequences and some scripts need them.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

/** Rejects control characters in free text (names, titles, memos); newlines allowed when `multiline`. */
export function NoControlCharacters(opts: { multiline?: boolean } = {}, validationOptions?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'noControlCharacters',
      target: object.constructor,
      propertyName,
      options: validationOptions,
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' || !CONTROL.test(opts.multiline ? value.replace(/[\n\t]/g, '') : value),
      },
    });
}

export const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

/** An 11-digit mainland China mobile number (1[3-9]xxxxxxxxx). */
export function IsMainlandMobile(validationOptions?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isMobilePhone',
      target: object.constructor,
      propertyName,
      options: validationOptions,
      validator: { validate: (value: unknown) => typeof value === 'string' && MAINLAND_MOBILE.test(value) },
    });
}
