import { quietUntil } from './quiet-hours';

/** An instant given as Asia/Shanghai wall time. */
const at = (shanghai: string) => new Date(`${shanghai}+08:00`);

describe('quiet hours (Asia/Shanghai)', () => {
  it.each([
    ['2026-12-01T21:59:59', null],
    ['2026-12-01T22:00:00', '2026-12-02T07:00:00'],
    ['2026-12-01T23:30:10', '2026-12-02T07:00:00'],
    ['2026-12-02T00:00:00', '2026-12-02T07:00:00'],
    ['2026-12-02T06:59:59', '2026-12-02T07:00:00'],
    ['2026-12-02T07:00:00', null],
    ['2026-12-02T12:00:00', null],
  ])('22:00-07:00 at %s: until %s', (now, until) => {
    expect(quietUntil(at(now), '22:00-07:00')).toEqual(until ? at(until) : null);
  });

  it('a window within one day, and none', () => {
    expect(quietUntil(at('2026-12-01T12:30:00'), '12:00-14:00')).toEqual(at('2026-12-01T14:00:00'));
    expect(quietUntil(at('2026-12-01T14:00:00'), '12:00-14:00')).toBeNull();
    expect(quietUntil(at('2026-12-01T23:00:00'), '')).toBeNull();
    expect(quietUntil(at('2026-12-01T23:00:00'), '08:00-08:00')).toBeNull();
  });
});
