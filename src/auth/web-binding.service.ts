import { Injectable } from '@nestjs/common';
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { DomainError, notFound } from '../common/errors/domain.error';
import { AuditService } from '../audit/audit.service';
import { TransactionRunner } from '../database/transaction.runner';
import { Capability, requireCapability } from './access-policy';
import { BindingCode } from './dto/login.types';
import { Principal } from './principal';
import { OrganisationRepository } from '../organisation/organisation.repository';

const CODE_TTL_HOURS = 24;
/** Wrong tries before a code is void: 5 in a million to guess one. */
const MAX_FAILED_ATTEMPTS = 5;

const hashOf = (personId: string, code: string) => createHash('sha256').update(`${personId}:${code}`).digest();

/**
 * Binding codes (绑定码) for the web app. WeChat gives web pages no verified phone number
 * (the mini-program's `getPhoneNumber` has no web counterpart), so a resident proves who
 * they are on first web sign-in with their mobile and a one-time code their branch hands
 * them. Only the hash is stored; a code works once, for 24 hours, and is void after 5
 * wrong tries. A new code replaces the old one.
 */
@Injectable()
export class WebBindingService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly organisation: OrganisationRepository,
  ) {}

  /** A new code for a resident (their branch's managers, the township's admins). */
  async issue(actor: Principal, residentId: string): Promise<BindingCode> {
    return this.tx.run(async (m) => {
      const resident = await this.organisation.residentScope(m, residentId);
      if (!resident) throw notFound('该居民');
      requireCapability(actor, Capability.MANAGE, resident);
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const [{ expiresAt }] = await m.query(
        `INSERT INTO binding_code (person_id, township_id, code_hash, expires_at, issued_by)
         VALUES ($1, $2, $3, now() + make_interval(hours => $4), $5)
         ON CONFLICT (person_id) DO UPDATE SET code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at,
           failed_attempts = 0, issued_by = EXCLUDED.issued_by, issued_at = now()
         RETURNING expires_at AS "expiresAt"`,
        [resident.personId, resident.townshipId, hashOf(resident.personId, code).toString('hex'), CODE_TTL_HOURS, actor.personId],
      );
      await this.audit.record(m, { townshipId: resident.townshipId, actorId: actor.personId, action: 'person.binding-code', subject: residentId });
      return { code, expiresAt };
    });
  }

  /**
   * Binds the web openid to the person whose code this is among those registered with this
   * mobile, using the code up; returns the person id. A code is issued by one township for
   * its record of the resident, so only that record is bound: unlike the mini-program's
   * verified phone number, which proves the number itself and binds every township's
   * record of it, a code proves nothing to the other townships. A wrong try counts
   * against every live code of the number (one guess tests them all) and is committed
   * before the refusal.
   */
  async redeem(openid: string, mobile: string, code: string): Promise<string> {
    let personId: string | undefined;
    try {
      personId = await this.tx.run(async (m) => {
        const rows: { personId: string; codeHash: string; failedAttempts: number }[] = await m.query(
          `SELECT b.person_id AS "personId", b.code_hash AS "codeHash", b.failed_attempts AS "failedAttempts"
           FROM binding_code b
           WHERE b.person_id = ANY($1::uuid[]) AND b.expires_at >= now() ORDER BY b.person_id FOR UPDATE`,
          [await this.organisation.personIdsByMobile(m, mobile)],
        );
        const match = rows.find((row) => timingSafeEqual(hashOf(row.personId, code), Buffer.from(row.codeHash, 'hex')));
        if (!match) {
          const spent = rows.filter((row) => row.failedAttempts + 1 >= MAX_FAILED_ATTEMPTS).map((row) => row.personId);
          const ids = rows.map((row) => row.personId);
          await m.query(`DELETE FROM binding_code WHERE person_id = ANY($1::uuid[])`, [spent]);
          await m.query(`UPDATE binding_code SET failed_attempts = failed_attempts + 1 WHERE person_id = ANY($1::uuid[])`, [ids]);
          return undefined;
        }
        // The branch handed out the code: it may move the person to a new WeChat (a new phone).
        await this.organisation.bindWechatWebOpenid(m, match.personId, openid);
        await m.query(`DELETE FROM binding_code WHERE person_id = $1`, [match.personId]);
        return match.personId;
      });
    } catch (error) {
      // This WeChat user is already bound to another person of that township (the code stays usable).
      if ((error as { code?: string }).code === '23505' || (error as { driverError?: { code?: string } }).driverError?.code === '23505') {
        throw new DomainError('WECHAT_ALREADY_BOUND', '该微信已绑定本镇其他居民');
      }
      throw error;
    }
    if (!personId) throw new DomainError('BINDING_CODE_INVALID');
    return personId;
  }
}
