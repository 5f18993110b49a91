import { hash } from 'node:crypto';
import { DomainError } from '../common/errors/domain.error';
import { sortedPostings } from './ledger-seal';
import { EntryKind, EntryReference, PostEntryRequest, PostingLine } from './ledger.types';
import { isUuid } from '../common/ids';

/** Largest single posting, in points: far above any real reward, far below overflow. */
export const MAX_POSTING_AMOUNT = 1_000_000;
export const MAX_LINES = 500;
export const MAX_MEMO_LENGTH = 500;
export const MAX_KEY_LENGTH = 200;


const invalid = (message: string, field: string) => new DomainError('BAD_USER_INPUT', `输入有误：${message}`, { field });

/** Checks an entry before it reaches the database (which checks rules 1-3 again). */
export function validateEntry(request: PostEntryRequest): void {
  const { idempotencyKey, memo, lines, townshipId } = request;
  if (!isUuid(townshipId)) throw invalid('镇编号格式不正确', 'townshipId');
  if (typeof idempotencyKey !== 'string' || idempotencyKey.length < 1 || idempotencyKey.length > MAX_KEY_LENGTH)
    throw invalid(`业务编号长度须为1-${MAX_KEY_LENGTH}个字符`, 'idempotencyKey');
  if (typeof memo !== 'string' || memo.trim().length === 0 || memo.length > MAX_MEMO_LENGTH)
    throw invalid(`摘要长度须为1-${MAX_MEMO_LENGTH}个字符`, 'memo');
  if (!Array.isArray(lines) || lines.length < 2 || lines.length > MAX_LINES)
    throw invalid(`一笔记账须有2-${MAX_LINES}条分录`, 'lines');
  const seen = new Set<string>();
  let sum = 0;
  for (const line of lines) {
    if (!isUuid(line.accountId)) throw invalid('账户编号格式不正确', 'accountId');
    if (seen.has(line.accountId)) throw invalid('同一账户在一笔记账中只能出现一次', 'accountId');
    seen.add(line.accountId);
    if (!Number.isSafeInteger(line.amount) || line.amount === 0 || Math.abs(line.amount) > MAX_POSTING_AMOUNT)
      throw invalid(`积分须为非零整数，且绝对值不超过${MAX_POSTING_AMOUNT}`, 'amount');
    sum += line.amount;
  }
  if (sum !== 0) throw invalid('借贷不平衡', 'lines');
}

/**
 * What "same content" means for idempotency: kind, memo, reference, reversed entry and
 * the lines (order-insensitive). Not the actor: two managers completing the same
 * activity describe the same mint. Stored with the entry and recomputed from its
 * postings by the reconciliation, so this form is fixed: the JSON text of
 * [kind, memo, reference type, reference id, reversed entry id, [[account id, amount], ...]]
 * with the lines ordered by lowercase account id.
 */
export function contentHash(
  kind: EntryKind | string,
  memo: string,
  lines: PostingLine[],
  reference?: EntryReference | null,
  reversesEntryId?: string | null,
): string {
  // The reconciliation recomputes the same text in SQL (CONTENT_TEXT in ledger-seal.service.ts).
  const canonical = JSON.stringify([kind, memo, reference?.type ?? null, reference?.id ?? null, reversesEntryId ?? null, sortedPostings(lines)]);
  return hash('sha256', canonical);
}
