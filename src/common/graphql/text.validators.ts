import { applyDecorators } from '@nestjs/common';
import { Field, FieldOptions } from '@nestjs/graphql';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, MaxLength, registerDecorator, ValidationOptions } from 'class-validator';

/** Trims and normalises to NFC, so "é" typed two ways is one name. */
export const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.normalize('NFC').trim() : value);

/**
 * Code points that render as nothing or cannot be stored, by Unicode property: controls
 * (Cc), format characters (Cf: soft hyphen, zero-width space, bidi overrides, U+180E,
 * U+2061 …), private use (Co), lone surrogates (Cs, which PostgreSQL would store as
 * U+FFFD), unassigned (Cn) and every default-ignorable code point (U+3164 HANGUL FILLER,
 * U+034F COMBINING GRAPHEME JOINER, variation selectors …), and the line and paragraph
 * separators (Zl, Zp: U+2028, U+2029): they make look-alike, blank or broken names
 * ("张\u200b三", "\u3164"). Multi-line text uses plain newlines.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
/** An emoji with its modifiers, presentation selectors and zero-width-joined parts (👨‍👩‍👧, ❤️): the one place a joiner or selector belongs. */
const EMOJI_SEQUENCE = /\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|[\uFE0E\uFE0F]|\u200D\p{Extended_Pictographic})*/gu;

/** True when text has no invisible code point (see INVISIBLE); newlines and tabs allowed when `multiline`. */
export function isPrintableText(value: string, multiline = false): boolean {
  const text = (multiline ? value.replace(/[\n\t]/g, '') : value).replace(EMOJI_SEQUENCE, 'x');
  return !INVISIBLE.test(text);
}

/** Refuses invisible code points in free text (names, titles, memos); newlines allowed when `multiline`. */
export function PrintableText(opts: { multiline?: boolean } = {}, validationOptions?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'printableText',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} 含有不可见或无法显示的字符`, ...validationOptions },
      validator: { validate: (value: unknown) => typeof value !== 'string' || isPrintableText(value, opts.multiline) },
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

/**
 * A one-line text field of 1 to `max` characters: trimmed, NFC, printable (titles, places,
 * reasons). Optional when `field.nullable` (an update: only the fields given change).
 */
export function LineText(max: number, field: FieldOptions = {}) {
  return applyDecorators(
    Field(field),
    ...(field.nullable ? [IsOptional()] : []),
    Transform(trim),
    IsString(),
    Length(1, max),
    PrintableText() as PropertyDecorator,
  );
}

/** Free multi-line text of at most `max` characters (descriptions); newlines and tabs allowed. */
export function MultilineText(max: number, field: FieldOptions = {}) {
  return applyDecorators(Field(field), ...(field.nullable ? [IsOptional()] : []), IsString(), MaxLength(max), PrintableText({ multiline: true }) as PropertyDecorator);
}
