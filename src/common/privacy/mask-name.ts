/**
 * A person's name as it may appear in public (the notice board, the public statement):
 * one character → `*`; two → the first and `*` (王*); three or more → the first, one `*`
 * per hidden character, and the last (马*珍, 欧**娜). Characters, not UTF-16 units, so a
 * rare character outside the BMP counts once. Spaces around the name are not counted.
 */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}
