import { GraphQLISODateTime } from '@nestjs/graphql';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

// Full date and time with a UTC offset, as toISOString() writes it (seconds and fraction optional).
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

function parse(value: unknown): Date {
  const match = typeof value === 'string' ? ISO_DATE_TIME.exec(value) : null;
  if (!match) throw new GraphQLError('时间格式不正确，须为ISO 8601日期时间（如 2025-01-31T08:00:00Z）');
  const [year, month, day, hour, minute, second = '0', offsetHours = '0', offsetMinutes = '0'] = match.slice(1).map((v) => v ?? undefined);
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  const calendar =
    Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth &&
    Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60 && Number(offsetHours) < 24 && Number(offsetMinutes) < 60;
  const date = new Date(value as string);
  if (!calendar || Number.isNaN(date.getTime())) throw new GraphQLError('时间不存在，请检查日期');
  return date;
}

/**
 * The DateTime scalar, with the built-in one's name, description and output, but strict
 * input: the built-in one takes `true` and numbers as instants of 1970 and rolls
 * 2025-02-30 over to 2 March; here those are refused as bad input.
 */
export const StrictDateTime = new GraphQLScalarType({
  name: GraphQLISODateTime.name,
  description: GraphQLISODateTime.description,
  serialize: GraphQLISODateTime.serialize,
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('时间格式不正确，须为ISO 8601日期时间字符串');
    return parse(ast.value);
  },
});

/** For the schema builders (the server's and the schema file's): Date fields use StrictDateTime. */
export const SCALARS_MAP = [{ type: Date, scalar: StrictDateTime }];
