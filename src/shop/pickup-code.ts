import { randomInt } from 'node:crypto';

/**
 * Pickup codes: 8 characters from 31 that cannot be mistaken for one another when read
 * aloud or off a phone (no 0/O, 1/I/L), drawn from the operating system's CSPRNG:
 * 31^8 ≈ 8.5 × 10^11 codes, so guessing one of a branch's few hundred open codes takes
 * billions of tries. Unique per branch (the database's UNIQUE (branch_id, code)).
 */
export const PICKUP_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const PICKUP_CODE_LENGTH = 8;

export function newPickupCode(): string {
  let code = '';
  for (let i = 0; i < PICKUP_CODE_LENGTH; i++) code += PICKUP_ALPHABET[randomInt(PICKUP_ALPHABET.length)];
  return code;
}

/** What a shopkeeper typed or scanned, as stored: upper case, without spaces or dashes; undefined if it cannot be a code. */
export function normalisePickupCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return code.length === PICKUP_CODE_LENGTH && [...code].every((c) => PICKUP_ALPHABET.includes(c)) ? code : undefined;
}

/** As shown to people: ABCD-EFGH. */
export function formatPickupCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
