import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface AuditRecord {
  townshipId: string;
  actorId: string | null;
  action: string;
  subject?: string;
  details?: Record<string, unknown>;
}

/** Records admin and manager actions, inside the same transaction as the action itself. */
@Injectable()
export class AuditService {
  async record(manager: EntityManager, r: AuditRecord): Promise<void> {
    await manager.query(`INSERT INTO audit_log (township_id, actor_id, action, subject, details) VALUES ($1, $2, $3, $4, $5)`, [
      r.townshipId,
      r.actorId,
      r.action,
      r.subject ?? null,
      JSON.stringify(r.details ?? {}),
    ]);
  }
}
