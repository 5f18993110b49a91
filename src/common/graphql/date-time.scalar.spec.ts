import { Kind } from 'graphql';
import { StrictDateTime } from './date-time.scalar';

describe('StrictDateTime', () => {
  it('takes ISO 8601 date-times with an offset, as toISOString() writes them', () => {
    const at = new Date('2025-03-01T08:30:00.000Z');
    expect(StrictDateTime.parseValue(at.toISOString())).toEqual(at);
    expect(StrictDateTime.parseValue('2025-03-01T16:30:00+08:00')).toEqual(at);
    expect(StrictDateTime.parseValue('2024-02-29T08:30Z')).toEqual(new Date('2024-02-29T08:30:00Z'));
    expect(StrictDateTime.parseLiteral({ kind: Kind.STRING, value: at.toISOString() })).toEqual(at);
    expect(StrictDateTime.serialize(at)).toBe(at.toISOString());
  });

  it.each([true, 12345, 0, null, {}, [], '', 'now', '2025-03-01', '2025-03-01 08:30:00Z', '2025-02-29T08:00:00Z', '2025-04-31T08:00:00Z',
    '2025-13-01T08:00:00Z', '2025-03-01T24:00:00Z', '2025-03-01T08:60:00Z', '2025-03-01T08:00:00+25:00', '2025-03-01T08:00:00'])(
    'refuses %j (the built-in scalar took numbers and booleans as 1970 and rolled impossible dates over)',
    (value) => {
      expect(() => StrictDateTime.parseValue(value)).toThrow(/时间/);
    },
  );

  it('refuses literals that are not strings', () => {
    expect(() => StrictDateTime.parseLiteral({ kind: Kind.INT, value: '12345' })).toThrow(/时间/);
  });
});
