import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { selectColumns } from '../database/select-columns';
import { ServiceCertificate } from './service-certificate.entity';

const COLUMNS = selectColumns(ServiceCertificate, 'c');

/** The `service_certificate` table: append-only (the app role may not change or delete a row). */
@Injectable()
export class ServiceCertificateRepository {
  async insert(m: EntityManager, c: Omit<ServiceCertificate, 'id' | 'issuedAt'>, issuedBy: string): Promise<ServiceCertificate> {
    const [row] = await m.query(
      `INSERT INTO service_certificate AS c (number, township_id, branch_id, resident_id, resident_name, township_name, branch_name,
                                             records, total_minutes, issued_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10) RETURNING ${COLUMNS}`,
      [c.number, c.townshipId, c.branchId, c.residentId, c.residentName, c.townshipName, c.branchName, JSON.stringify(c.records), c.totalMinutes, issuedBy],
    );
    return row;
  }

  async byNumber(m: EntityManager, number: string): Promise<ServiceCertificate | undefined> {
    const [row] = await m.query(`SELECT ${COLUMNS} FROM service_certificate c WHERE c.number = $1`, [number]);
    return row;
  }

  /** A resident's certificates, newest first, after the keyset (issued at, id). */
  async ofResident(m: EntityManager, residentId: string, after: [Date, string] | null, limit: number): Promise<ServiceCertificate[]> {
    return m.query(
      `SELECT ${COLUMNS} FROM service_certificate c
       WHERE c.resident_id = $1 AND ($2::timestamptz IS NULL OR (c.issued_at, c.id) < ($2::timestamptz, $3::uuid))
       ORDER BY c.issued_at DESC, c.id DESC LIMIT $4`,
      [residentId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }
}
