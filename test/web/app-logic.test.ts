import fc from 'fast-check';
import { checkinLink, readCheckinLink } from '../../web/src/lib/checkin-link';
import { groupByMonth, HistoryLine } from '../../web/src/lib/passbook';
import { addMonths, fromLocalInput, monthOf, toLocalInput } from '../../web/src/lib/time';

/** The app's own logic that has no screen: the passbook by month, the QR link, Asia/Shanghai times. */
describe('the passbook by month (from me.history, newest first)', () => {
  it('gives every month its opening, closing, earned and spent, chaining months, for any history', () => {
    const month = fc.constantFrom('2026-08', '2026-09', '2026-10', '2026-11');
    fc.assert(
      fc.property(fc.array(fc.record({ month, amount: fc.integer({ min: -20, max: 20 }).filter((n) => n !== 0) }), { maxLength: 40 }), (raw) => {
        // Oldest first, with a running balance that never goes below zero (as the ledger ensures).
        const sorted = [...raw].sort((a, b) => a.month.localeCompare(b.month));
        let balance = 0;
        const oldestFirst: HistoryLine[] = [];
        sorted.forEach((l, i) => {
          const amount = balance + l.amount < 0 ? -balance || 1 : l.amount;
          balance += amount;
          oldestFirst.push({ id: String(i), bookedAt: `${l.month}-15T00:00:00Z`, period: l.month, amount, balanceAfter: balance, memo: 'x', kind: amount > 0 ? 'MINT' : 'SPEND' });
        });
        const months = groupByMonth([...oldestFirst].reverse());

        expect(months.map((m) => m.month)).toEqual([...new Set(oldestFirst.map((l) => l.period))].reverse());
        expect(months.flatMap((m) => m.lines)).toEqual([...oldestFirst].reverse());
        months.forEach((m, i) => {
          const own = oldestFirst.filter((l) => l.period === m.month);
          expect(m.closing).toBe(own[own.length - 1].balanceAfter);
          expect(m.opening).toBe(i === months.length - 1 ? 0 : months[i + 1].closing);
          expect(m.earned).toBe(own.filter((l) => l.amount > 0).reduce((s, l) => s + l.amount, 0));
          expect(m.spent).toBe(own.filter((l) => l.amount < 0).reduce((s, l) => s - l.amount, 0));
          expect(m.opening + m.earned - m.spent).toBe(m.closing);
        });
      }),
    );
  });

  it('a page that starts mid-month still opens the month at the balance before its earliest line', () => {
    const lines: HistoryLine[] = [
      { id: '3', bookedAt: '2026-11-20T02:00:00Z', period: '2026-11', amount: -2, balanceAfter: 5, memo: '课程', kind: 'SPEND' },
      { id: '2', bookedAt: '2026-11-10T02:00:00Z', period: '2026-11', amount: 2, balanceAfter: 7, memo: '活动', kind: 'MINT' },
    ];
    expect(groupByMonth(lines)).toEqual([{ month: '2026-11', opening: 5, closing: 5, earned: 2, spent: 2, lines }]);
  });
});

describe('the check-in QR link', () => {
  it('round-trips the activity and the current code, and ignores anything that is not 6 digits', () => {
    const id = '4b1f0b6e-0000-4000-8000-000000000000';
    const url = new URL(checkinLink('https://bank.example', id, '042917'));
    expect(url.pathname).toBe('/r/checkin');
    expect(readCheckinLink(Object.fromEntries(url.searchParams))).toEqual({ activityId: id, code: '042917' });
    for (const code of ['12345', '1234567', 'abcdef', '', ' 123456']) expect(readCheckinLink({ activity: id, code }).code).toBeUndefined();
    expect(readCheckinLink({ activity: [id], code: ['123456'] })).toEqual({ activityId: id, code: '123456' });
  });
});

describe('times as residents read them (Asia/Shanghai, whatever the device zone)', () => {
  it('reads month boundaries in Shanghai', () => {
    expect(monthOf('2026-11-30T16:30:00Z')).toBe('2026-12'); // 00:30 on 1 December in Shanghai
    expect(monthOf('2026-11-30T15:59:00Z')).toBe('2026-11');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2026-12', 1)).toBe('2027-01');
  });

  it('turns a datetime-local value into the instant in Shanghai and back', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }), (d) => {
        const minute = new Date(Math.floor(d.getTime() / 60_000) * 60_000);
        expect(fromLocalInput(toLocalInput(minute))).toBe(minute.toISOString());
      }),
    );
    expect(fromLocalInput('2026-12-01T09:00')).toBe('2026-12-01T01:00:00.000Z');
    expect(fromLocalInput('')).toBe('');
  });
});
