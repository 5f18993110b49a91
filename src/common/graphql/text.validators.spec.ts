import { isPrintableText, trim } from './text.validators';

/** Every code point of the given Unicode property (escapes as in \p{…}), for exhaustive checks. */
function codePointsWith(property: RegExp): number[] {
  const out: number[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) if (property.test(String.fromCodePoint(cp))) out.push(cp);
  return out;
}

describe('printable text (names, titles, memos)', () => {
  it.each([
    ['U+00AD soft hyphen', '\u00ad'],
    ['U+3164 Hangul filler', '\u3164'],
    ['U+180E Mongolian vowel separator', '\u180e'],
    ['U+2061 function application', '\u2061'],
    ['U+034F combining grapheme joiner', '\u034f'],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udc00'],
    ['U+200B zero-width space', '\u200b'],
    ['U+202E right-to-left override', '\u202e'],
    ['U+E000 private use', '\ue000'],
    ['U+0000', '\u0000'],
  ])('refuses %s, alone or inside a name', (_, c) => {
    expect(isPrintableText(c)).toBe(false);
    expect(isPrintableText(`张${c}三`)).toBe(false);
  });

  it.each([
    ['Cc (controls)', /\p{Cc}/u],
    ['Cf (format)', /\p{Cf}/u],
    ['Co (private use)', /\p{Co}/u],
    ['Default_Ignorable_Code_Point', /\p{Default_Ignorable_Code_Point}/u],
  ])('refuses every code point of %s, by property', (_, property) => {
    const all = codePointsWith(property);
    expect(all.length).toBeGreaterThan(0);
    const accepted = all.filter((cp) => isPrintableText(`张${String.fromCodePoint(cp)}三`));
    expect(accepted.map((cp) => cp.toString(16))).toEqual([]);
  });

  it('refuses every lone surrogate', () => {
    for (let cp = 0xd800; cp <= 0xdfff; cp++) expect(isPrintableText(`a${String.fromCharCode(cp)}b`)).toBe(false);
  });

  it('accepts names and text people write: CJK, other scripts, emoji sequences', () => {
    for (const text of ['张三', '李秀英', 'Ōtsuka 大塚 Анна', 'مرحبا 你好', '👨‍👩‍👧 家庭', '❤️ 志愿者', '👍🏽 好', '王 · 五']) expect(isPrintableText(text)).toBe(true);
    expect(isPrintableText('第一行\n第二行')).toBe(false);
    expect(isPrintableText('第一行\n第二行', true)).toBe(true);
  });

  it('normalises to NFC and trims', () => {
    expect(trim({ value: '  Jose\u0301 ' })).toBe('José');
    expect(trim({ value: 'e\u0301' })).toBe('\u00e9');
  });
});
