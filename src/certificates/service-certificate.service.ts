import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { Capability, can, requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { ServiceHoursService } from '../activities/service-hours.service';
import { hoursOf } from '../activities/dto/service-hours.models';
import { DomainError } from '../common/errors/domain.error';
import { byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { maskName } from '../common/privacy/mask-name';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction.runner';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { certificatePdf, chineseDate } from './certificate-pdf';
import { ServiceCertificate } from './service-certificate.entity';
import { ServiceCertificateRepository } from './service-certificate.repository';

/** Letters and digits that cannot be mistaken for one another when read aloud or typed (no 0/O, 1/I/L). */
const NUMBER_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const CERTIFICATE_NUMBER = /^ZYFW-\d{8}-[0-9A-Z]{8}$/;

/** ZYFW-<issue date>-<8 random characters>: not guessable, so numbers cannot be walked to read others' records. */
export function newCertificateNumber(at: Date): string {
  const day = new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  let random = '';
  for (let i = 0; i < 8; i++) random += NUMBER_ALPHABET[randomInt(NUMBER_ALPHABET.length)];
  return `ZYFW-${day}-${random}`;
}

/** What the public verification page shows: the certificate's facts with the name masked. */
export interface CertificateVerification {
  number: string;
  valid: true;
  volunteer: string;
  township: string;
  branch: string;
  issuedAt: string;
  issuedOn: string;
  activities: { date: string; title: string; hours: number }[];
  activityCount: number;
  totalHours: number;
}

/**
 * 志愿服务记录证明: issued free to a resident on request, from their recorded service hours;
 * stored as issued, so its number verifies later (publicly, with the name masked).
 */
@Injectable()
export class ServiceCertificateService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly certificates: ServiceCertificateRepository,
    private readonly hours: ServiceHoursService,
    private readonly organisation: OrganisationRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async request(actor: Principal): Promise<ServiceCertificate> {
    const resident = requireResident(actor);
    const records = await this.hours.recordsForCertificate(resident.id);
    if (!records.length) throw new DomainError('NO_SERVICE_HOURS');
    return this.tx.run(async (m) => {
      const card = await this.organisation.residentCard(m, resident.id);
      if (!card) throw new DomainError('NOT_FOUND');
      const lines = records.map((r) => ({ activityId: r.activityId, title: r.title, date: shanghaiDay(r.startsAt), minutes: r.minutesServed }));
      const certificate = await this.certificates.insert(
        m,
        {
          number: newCertificateNumber(new Date()),
          townshipId: card.townshipId,
          branchId: card.branchId,
          residentId: resident.id,
          residentName: card.name,
          townshipName: card.townshipName,
          branchName: card.branchName,
          records: lines,
          totalMinutes: lines.reduce((sum, l) => sum + l.minutes, 0),
        },
        actor.personId,
      );
      await this.audit.record(m, {
        townshipId: card.townshipId,
        actorId: actor.personId,
        action: 'certificate.issue',
        subject: certificate.number,
        details: { residentId: resident.id, activities: lines.length, totalMinutes: certificate.totalMinutes },
      });
      return certificate;
    });
  }

  async mine(actor: Principal, page: PageArgs): Promise<Page<ServiceCertificate>> {
    const resident = requireResident(actor);
    return keysetPage(page, byTimeThenId<ServiceCertificate>((c) => c.issuedAt), (after, limit) =>
      this.tx.read((m) => this.certificates.ofResident(m, resident.id, after ? [new Date(after[0]), after[1]] : null, limit)),
    );
  }

  /** A certificate with its full name: its resident, and the managers of their branch and the township's admins. */
  async certificate(actor: Principal, number: string): Promise<ServiceCertificate> {
    const found = CERTIFICATE_NUMBER.test(number) ? await this.tx.read((m) => this.certificates.byNumber(m, number)) : undefined;
    if (!found) throw new DomainError('CERTIFICATE_NOT_FOUND');
    const own = actor?.resident?.id === found.residentId;
    if (!own && !can(actor, Capability.MANAGE, { townshipId: found.townshipId, branchId: found.branchId })) throw new DomainError('FORBIDDEN');
    return found;
  }

  pdf(certificate: ServiceCertificate, verifyUrl: string): Promise<Buffer> {
    return certificatePdf(certificate, verifyUrl, this.config.CERTIFICATE_FONT);
  }

  /** The public facts of a certificate, for anyone holding its number. */
  async verification(number: string): Promise<CertificateVerification> {
    const c = CERTIFICATE_NUMBER.test(number) ? await this.tx.read((m) => this.certificates.byNumber(m, number)) : undefined;
    if (!c) throw new DomainError('CERTIFICATE_NOT_FOUND');
    return {
      number: c.number,
      valid: true,
      volunteer: maskName(c.residentName),
      township: c.townshipName,
      branch: c.branchName,
      issuedAt: new Date(c.issuedAt).toISOString(),
      issuedOn: chineseDate(new Date(c.issuedAt)),
      activities: c.records.map((r) => ({ date: r.date, title: r.title, hours: hoursOf(r.minutes) })),
      activityCount: c.records.length,
      totalHours: hoursOf(c.totalMinutes),
    };
  }

  /** Where a certificate is verified: PUBLIC_BASE_URL, else the address the request came to. */
  verifyUrl(number: string, host: string | undefined): string {
    const base = this.config.PUBLIC_BASE_URL ?? `http://${host && /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) ? host : 'localhost'}`;
    return `${base.replace(/\/+$/, '')}/public/certificates/${number}`;
  }
}

function shanghaiDay(at: Date): string {
  return new Date(new Date(at).getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
