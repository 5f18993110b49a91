import fc from 'fast-check';
import { maskName } from './mask-name';

describe('maskName', () => {
  it('keeps the first and last character of three or more, the first of two, none of one', () => {
    expect(maskName('马秀珍')).toBe('马*珍');
    expect(maskName('欧阳娜娜')).toBe('欧**娜');
    expect(maskName('王芳')).toBe('王*');
    expect(maskName('玥')).toBe('*');
    expect(maskName(' 李四 ')).toBe('李*');
    expect(maskName('阿依古丽·买买提')).toBe('阿******提');
    expect(maskName('𠀋𠀌𠀍')).toBe('𠀋*𠀍'); // outside the BMP: one character each
  });

  it('never shows more than the first and last character, and keeps the length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0), (name) => {
        const chars = Array.from(name.trim());
        const masked = Array.from(maskName(name));
        expect(masked.length).toBe(Math.max(chars.length, 1));
        // What is shown is the name's own characters at their places, and at most these many.
        const shown = masked.map((c, i) => [c, i] as const).filter(([c]) => c !== '*');
        for (const [c, i] of shown) expect(c).toBe(chars[i]);
        expect(shown.length).toBeLessThanOrEqual(chars.length >= 3 ? 2 : chars.length === 2 ? 1 : 0);
      }),
    );
  });
});
