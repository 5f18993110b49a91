import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain.error';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { LoginResult, LoginStatus } from './dto/login.types';
import { TokenService } from './token.service';

/** How long a login link works: long enough to copy it from a terminal to a browser. */
export const LOGIN_TICKET_TTL_MINUTES = 15;

const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/**
 * One-time login links for township admins (`npm run cli -- admin-login-link`): the first
 * sign-in of a new deployment, before WeChat is set up, and in production too. Only who
 * can reach the database can make one, so it is no wider a door than the database itself.
 * The ticket is 32 random bytes; only its SHA-256 is stored; it works once (spent by the
 * same UPDATE that checks it) and for LOGIN_TICKET_TTL_MINUTES.
 */
@Injectable()
export class LoginTicketService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly organisation: OrganisationRepository,
    private readonly tokens: TokenService,
  ) {}

  async issue(townshipCode: string, mobile: string): Promise<{ ticket: string; expiresAt: Date; name: string }> {
    const admin = await this.organisation.townshipAdminByCode(townshipCode, mobile);
    if (!admin) throw new DomainError('NOT_FOUND', `镇 ${townshipCode} 没有手机号为 ${mobile} 的总行管理员`);
    const ticket = randomBytes(32).toString('base64url');
    const [{ expiresAt }] = await this.dataSource.query(
      `INSERT INTO login_ticket (ticket_hash, township_id, person_id, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(mins => $4)) RETURNING expires_at AS "expiresAt"`,
      [hashOf(ticket), admin.townshipId, admin.id, LOGIN_TICKET_TTL_MINUTES],
    );
    return { ticket, expiresAt, name: admin.name };
  }

  async login(ticket: string): Promise<LoginResult> {
    const [spent] = await this.dataSource.query(
      `UPDATE login_ticket SET used_at = now() WHERE ticket_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING person_id AS "personId"`,
      [hashOf(ticket)],
    );
    const personId: string | undefined = spent?.[0]?.personId;
    if (!personId) throw new DomainError('LOGIN_TICKET_INVALID');
    const { token, expiresAt } = this.tokens.issueAccessToken(personId);
    return { status: LoginStatus.LOGGED_IN, accessToken: token, expiresAt };
  }
}
