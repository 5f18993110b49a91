import { Injectable } from '@nestjs/common';
import { requireResident } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { TransactionRunner } from '../database/transaction.runner';
import { hoursOf, ServiceHours, ServiceRecord } from './dto/service-hours.models';
import { ServiceHoursRepository, ServiceRecordRow } from './service-hours.repository';

/** Most records one certificate lists (years of weekly service). */
export const MAX_CERTIFICATE_RECORDS = 1000;

const toRecord = (row: ServiceRecordRow): ServiceRecord => ({ ...row, hours: hoursOf(row.minutesServed) });

/** A resident's service hours: their own, from their completed attendances. */
@Injectable()
export class ServiceHoursService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly hours: ServiceHoursRepository,
  ) {}

  async myHours(actor: Principal): Promise<ServiceHours> {
    const resident = requireResident(actor);
    const { totalMinutes, activityCount } = await this.tx.read((m) => this.hours.summary(m, resident.id));
    return { totalMinutes, totalHours: hoursOf(totalMinutes), activityCount };
  }

  async myRecords(actor: Principal, page: PageArgs): Promise<Page<ServiceRecord>> {
    const resident = requireResident(actor);
    return keysetPage(
      page,
      byTimeThenId<ServiceRecordRow>((r) => r.startsAt),
      (after, limit) => this.tx.read((m) => this.hours.records(m, resident.id, after ? [new Date(after[0]), after[1]] : null, limit)),
      toRecord,
    );
  }

  /** Every record of a resident, oldest first, for a certificate (the caller checks who asks). */
  async recordsForCertificate(residentId: string): Promise<ServiceRecord[]> {
    return (await this.tx.read((m) => this.hours.allRecords(m, residentId, MAX_CERTIFICATE_RECORDS))).map(toRecord);
  }
}
