import { compareEarnings, DEFAULT_HOURS_LADDER, DEFAULT_LADDER, ladderProblem, MonthEarning, rankStars, standingOn, standingOnHours } from './honours.rules';

const at = (minute: number) => new Date(Date.UTC(2026, 9, 1, 0, minute));
const e = (residentId: string, points: number, minute: number | null, branchId = 'b1'): MonthEarning => ({
  residentId,
  branchId,
  points,
  firstEarnedAt: minute === null ? null : at(minute),
});

describe('honours rules', () => {
  it('ranks by points, then the earlier first earning, then the resident id', () => {
    const list = [e('c', 5, 3), e('a', 5, 3), e('b', 5, 1), e('d', 7, 9), e('e', 2, 0)];
    expect([...list].sort(compareEarnings).map((x) => x.residentId)).toEqual(['d', 'b', 'a', 'c', 'e']);
  });

  it('keeps exactly N per branch, cutting a tie at the N-th place by the rule, and leaves out who earned nothing', () => {
    const stars = rankStars(
      [e('a', 4, 5), e('b', 4, 2), e('c', 4, 2), e('d', 9, 7), e('z', 0, null), e('y', -3, null), e('x', 1, 0, 'b2')],
      3,
    );
    expect(stars.map((s) => [s.branchId, s.rank, s.residentId])).toEqual([
      ['b1', 1, 'd'],
      ['b1', 2, 'b'],
      ['b1', 3, 'c'],
      ['b2', 1, 'x'],
    ]);
  });

  it('places a lifetime on the ladder, with the next level and what is left to earn', () => {
    const ladder = [
      { name: '铜', threshold: 10 },
      { name: '银', threshold: 20 },
    ];
    expect(standingOn(ladder, 0)).toEqual({ level: 0, levelName: null, nextLevel: 1, nextLevelName: '铜', nextThreshold: 10, toNext: 10 });
    expect(standingOn(ladder, 10)).toMatchObject({ level: 1, levelName: '铜', nextLevel: 2, nextThreshold: 20, toNext: 10 });
    expect(standingOn(ladder, 19)).toMatchObject({ level: 1, toNext: 1 });
    expect(standingOn(ladder, 25)).toEqual({ level: 2, levelName: '银', nextLevel: null, nextLevelName: null, nextThreshold: null, toNext: null });
    expect(standingOn(ladder, -4)).toMatchObject({ level: 0, toNext: 14 });
  });

  it('accepts only ladders of 1-10 distinct rungs with strictly ascending thresholds', () => {
    expect(ladderProblem(DEFAULT_LADDER)).toBeNull();
    expect(ladderProblem([])).toMatch(/1 至 10/);
    expect(ladderProblem([{ name: 'a', threshold: 5 }, { name: 'b', threshold: 5 }])).toMatch(/第2级的门槛须高于第1级/);
    expect(ladderProblem([{ name: 'a', threshold: 5 }, { name: 'a', threshold: 6 }])).toMatch(/不能重复/);
    expect(ladderProblem(Array.from({ length: 11 }, (_, i) => ({ name: `${i}`, threshold: i + 1 })))).toMatch(/1 至 10/);
  });

  it('places minutes served on an hours ladder: decided on exact minutes, what is left never shown as 0 before the level', () => {
    const ladder = [
      { name: '一星', threshold: 10 },
      { name: '二星', threshold: 20 },
    ];
    expect(standingOnHours(ladder, 750)).toEqual({ lifetime: 12.5, level: 1, levelName: '一星', nextLevel: 2, nextLevelName: '二星', nextThreshold: 20, toNext: 7.5 });
    // 19 h 58 min: shown as 20.0 served (rounded, as everywhere), still 0.1 to go (rounded up), not yet 二星.
    expect(standingOnHours(ladder, 1198)).toMatchObject({ lifetime: 20, level: 1, toNext: 0.1 });
    expect(standingOnHours(ladder, 1200)).toMatchObject({ level: 2, nextThreshold: null, toNext: null });
    expect(standingOnHours(ladder, 0)).toMatchObject({ lifetime: 0, level: 0, toNext: 10 });
    expect(ladderProblem(DEFAULT_HOURS_LADDER)).toBeNull();
  });
});
