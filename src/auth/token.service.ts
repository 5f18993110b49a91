import { Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { AppConfig, DEVELOPMENT_JWT_SECRET } from '../config/app-config';
import { BoundedMap } from '../common/bounded-map';
import { DomainError } from '../common/errors/domain.error';

const BINDING_TTL_SECONDS = 10 * 60;
/** Verified tokens remembered per process (a few MB at most); past this the oldest is forgotten. */
const VERIFIED_REMEMBERED = 10_000;

/** Binding tokens name the WeChat app the openid belongs to: the mini-program's or the web app's. */
export type BindingKind = 'wechat-binding' | 'wechat-web-binding';
type TokenKind = 'access' | BindingKind;

/**
 * The service's own tokens: HS256 JWTs. Access tokens name a person; binding tokens
 * carry a WeChat openid from a login to `bindWechat`/`bindWechatWeb` or `chooseTownship`.
 */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;
  /**
   * Tokens already verified, by their exact text: checking the signature again cost ~5%
   * of the API's CPU per request. Safe because nothing revokes a token (access is withdrawn
   * from the person, see PrincipalCache), so a verified token stays good until it expires,
   * which is checked on every use.
   */
  private readonly verified = new BoundedMap<string, { subject: string; kind: TokenKind; exp: number }>(VERIFIED_REMEMBERED);

  constructor(private readonly config: AppConfig) {
    if (!config.JWT_SECRET) new Logger(TokenService.name).warn('JWT_SECRET is not set: using the development secret');
    // A KeyObject, not the string: given a string, jsonwebtoken tries (and fails) to parse it
    // as a PEM public key on every verify, which cost about a fifth of the API's CPU.
    // The development secret only outside production (loadConfig requires JWT_SECRET there),
    // so `npm start` works with no configuration.
    const key = createSecretKey(Buffer.from(config.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET));
    this.jwt = new JwtService({ secret: key as unknown as Buffer });
  }

  issueAccessToken(personId: string): { token: string; expiresAt: Date } {
    const ttl = this.config.JWT_TTL_SECONDS;
    const token = this.jwt.sign({ typ: 'access' }, { subject: personId, expiresIn: ttl, algorithm: 'HS256' });
    return { token, expiresAt: new Date(Date.now() + ttl * 1000) };
  }

  issueBindingToken(openid: string, kind: BindingKind = 'wechat-binding'): string {
    return this.jwt.sign({ typ: kind }, { subject: openid, expiresIn: BINDING_TTL_SECONDS, algorithm: 'HS256' });
  }

  /** The token's subject, or UNAUTHENTICATED for anything unsigned, tampered, expired or of another kind. */
  verify(token: string, kind: TokenKind): string {
    return this.verifyAny(token, [kind]).subject;
  }

  /** The subject and kind of a token of one of `kinds` (e.g. a binding token of either WeChat app). */
  verifyAny<K extends TokenKind>(token: string, kinds: readonly K[]): { subject: string; kind: K } {
    const known = this.verified.get(token);
    // jsonwebtoken's rule: expired from the second `exp` names.
    if (known && kinds.includes(known.kind as K) && Math.floor(Date.now() / 1000) < known.exp) return { subject: known.subject, kind: known.kind as K };
    try {
      // Pinning the algorithm refuses `alg: none` and algorithm-confusion tokens.
      const claims = this.jwt.verify<{ sub?: string; typ?: string; exp?: number }>(token, { algorithms: ['HS256'] });
      const kind = kinds.find((k) => k === claims.typ);
      if (!kind || typeof claims.sub !== 'string') throw new Error('wrong token kind');
      // jsonwebtoken accepts a token without `exp` as valid forever; we never issue one.
      if (typeof claims.exp !== 'number') throw new Error('token without expiry');
      this.verified.set(token, { subject: claims.sub, kind, exp: claims.exp });
      return { subject: claims.sub, kind };
    } catch {
      throw kinds.includes('access' as K) ? new DomainError('UNAUTHENTICATED', '登录已失效，请重新登录') : new DomainError('BINDING_EXPIRED');
    }
  }
}
