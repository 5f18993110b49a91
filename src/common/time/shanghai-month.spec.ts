import { DomainError } from '../errors/domain.error';
import { addMonths, hasEnded, isMonth, Month, monthOf, monthRange, monthToPeriodDate } from './shanghai-month';

describe('Asia/Shanghai months', () => {
  it('puts instants near midnight in the Shanghai month, not the UTC one', () => {
    expect(monthOf(new Date('2026-10-31T15:59:59.999Z'))).toBe('2026-10');
    expect(monthOf(new Date('2026-10-31T16:00:00.000Z'))).toBe('2026-11');
  });

  it('gives the [start, end) instants of a month', () => {
    expect(monthRange('2026-12')).toEqual({ start: new Date('2026-11-30T16:00:00Z'), end: new Date('2026-12-31T16:00:00Z') });
    expect(monthRange('2024-02').end).toEqual(new Date('2024-02-29T16:00:00Z'));
  });

  it('validates and shifts months across years', () => {
    expect(isMonth('2026-13')).toBe(false);
    expect(isMonth('2026-1')).toBe(false);
    expect(() => monthRange('bad')).toThrow(RangeError);
    expect(addMonths('2026-12', 1)).toBe('2027-01');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(monthToPeriodDate('2026-11')).toBe('2026-11-01');
  });

  it('knows when a month has ended', () => {
    expect(hasEnded('2026-10', new Date('2026-10-31T15:59:59Z'))).toBe(false);
    expect(hasEnded('2026-10', new Date('2026-10-31T16:00:00Z'))).toBe(true);
  });

  it('parses a month argument once into its text and period date, refusing others with the month message', () => {
    const month = Month.parse('2026-03');
    expect({ text: month.text, period: month.period }).toEqual({ text: '2026-03', period: '2026-03-01' });
    for (const bad of ['2026-13', '1999-12', ' 2026-03', 202603, null]) {
      let error: unknown;
      try {
        Month.parse(bad, 'month');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('月份须为 YYYY-MM 格式'), details: { field: 'month' } });
    }
  });
});
