import { createHmac } from 'node:crypto';

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * Builds a JWT by hand, so tests can make exactly the tokens an attacker could:
 * any header (`alg: none`, HS512), any claims, any secret, or no signature at all.
 */
export function craftJwt(
  claims: Record<string, unknown>,
  { secret, alg = 'HS256' }: { secret?: string; alg?: 'HS256' | 'HS512' | 'none' } = {},
): string {
  const signingInput = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}`;
  if (alg === 'none' || !secret) return `${signingInput}.`;
  const hash = alg === 'HS256' ? 'sha256' : 'sha512';
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

/** The claims of a token, unverified. */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** Replaces the claims of a signed token and keeps its (now wrong) signature. */
export function tamperJwt(token: string, change: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url({ ...jwtClaims(token), ...change })}.${signature}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
