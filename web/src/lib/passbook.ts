/** One line of a resident's history, as `me.history` returns it (newest first). */
export interface HistoryLine {
  id: string;
  bookedAt: string;
  period: string;
  amount: number;
  balanceAfter?: number | null;
  memo: string;
  kind: string;
}

export interface PassbookMonth {
  month: string;
  opening: number;
  closing: number;
  earned: number;
  spent: number;
  /** Newest first, as in a passbook read from the top. */
  lines: HistoryLine[];
}

/**
 * Groups history lines (newest first) by accounting month, with each month's opening and
 * closing balance: the closing is the balance after the month's last line, the opening
 * the balance before its first. Until the server has a passbook by month, this is it.
 */
export function groupByMonth(lines: HistoryLine[]): PassbookMonth[] {
  const months: PassbookMonth[] = [];
  for (const line of lines) {
    let current = months[months.length - 1];
    if (!current || current.month !== line.period) {
      const after = line.balanceAfter ?? 0;
      current = { month: line.period, opening: after, closing: after, earned: 0, spent: 0, lines: [] };
      months.push(current);
    }
    current.lines.push(line);
    current.opening = (line.balanceAfter ?? 0) - line.amount;
    if (line.amount > 0) current.earned += line.amount;
    else current.spent -= line.amount;
  }
  return months;
}
