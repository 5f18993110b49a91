import { Type } from '@nestjs/common';
import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DomainError } from '../errors/domain.error';
import { isSerial, isUuid } from '../ids';
import { isMonth } from '../time/shanghai-month';

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 20, description: `Page size, 1-${MAX_PAGE_SIZE}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page; omitted or null for the first page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string | null;
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

/** A Relay-style connection type `<Name>Connection` with edges of `T`. */
export function Connection<T>(node: Type<T>, name = node.name): Type<Page<T>> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor: string;

    @Field(() => node)
    node: T;
  }

  @ObjectType(`${name}Connection`, { isAbstract: true })
  class ConnectionType {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;
  }
  return ConnectionType as Type<Page<T>>;
}

/**
 * Cursors are opaque to clients: base64url of the keyset values (JSON array) of the
 * last row. Keyset (not offset) pagination, so pages stay cheap on unbounded tables.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** What each value of a cursor's key must be, checked before it reaches SQL. */
export type CursorPart = 'text' | 'uuid' | 'time' | 'serial' | 'month';

const CURSOR_PART: Record<CursorPart, (v: unknown) => boolean> = {
  // A sort key such as a name: what PostgreSQL can store (no NUL, no lone surrogate).
  text: (v) => typeof v === 'string' && v.length <= 100 && !/[\u0000\p{Cs}]/u.test(v),
  uuid: isUuid,
  // What encodeCursor writes for a timestamptz: Date#toISOString.
  time: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && new Date(v).toISOString() === v,
  // A bigint identity or sequence value, as text.
  serial: isSerial,
  month: isMonth,
};

/**
 * The key of a cursor, each value checked against its part, or undefined for no cursor
 * (`after` omitted or null: the first page). Anything else is BAD_USER_INPUT.
 */
export function decodeCursor(cursor: string | null | undefined, shape: readonly CursorPart[]): string[] | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid = Array.isArray(key) && key.length === shape.length && key.every((v, i) => CURSOR_PART[shape[i]](v));
  if (!valid) throw new DomainError('BAD_USER_INPUT', '分页游标无效', { field: 'after' });
  return key as string[];
}

/** Builds a page from `rows` fetched with LIMIT first + 1. */
export function toPage<R, T>(rows: R[], first: number, node: (row: R) => T, key: (row: R) => (string | number)[]): Page<T> {
  const pageRows = rows.slice(0, first);
  const edges = pageRows.map((row) => ({ cursor: encodeCursor(key(row)), node: node(row) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
  };
}

/** A list's sort key: what each cursor value must be, and a row's key (the values the query compares). */
export interface Keyset<R> {
  shape: readonly CursorPart[];
  of(row: R): (string | number)[];
}

/**
 * One page of a keyset-paginated list, the one way every connection is read: decodes
 * `after` against the keyset's shape (BAD_USER_INPUT if it does not fit), fetches
 * `first + 1` rows after it (the extra row says whether there is a next page), and gives
 * each row its key as the cursor. The query compares the key as a row value, e.g.
 * `(a.starts_at, a.id) > ($after0, $after1)`, in the order of its ORDER BY.
 */
export async function keysetPage<R, T = R>(
  page: PageArgs,
  keyset: Keyset<NoInfer<R>>,
  fetch: (after: string[] | undefined, limit: number) => Promise<R[]>,
  node: (row: R) => T = (row) => row as unknown as T,
): Promise<Page<T>> {
  const rows = await fetch(decodeCursor(page.after, keyset.shape), page.first + 1);
  return toPage(rows, page.first, node, keyset.of);
}

/** The keyset of rows listed by an instant, then id (activities and courses by start, sign-ups and enrolments by when). */
export function byTimeThenId<R extends { id: string }>(time: (row: R) => Date): Keyset<R> {
  return { shape: ['time', 'uuid'], of: (row) => [time(row).toISOString(), row.id] };
}

/** The keyset of rows listed by a name, then id. */
export function byNameThenId<R extends { id: string; name: string }>(): Keyset<R> {
  return { shape: ['text', 'uuid'], of: (row) => [row.name, row.id] };
}

/** Ledger lines (history, a passbook month's entries) by posting id. */
export const BY_POSTING: Keyset<{ postingId: string }> = { shape: ['serial'], of: (row) => [row.postingId] };

/** Passbook months, newest first. */
export const BY_MONTH: Keyset<{ month: string }> = { shape: ['month'], of: (row) => [row.month] };
