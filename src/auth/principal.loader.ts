import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Principal } from './principal';

/**
 * Loads the caller's identity and roles, once per request, from the database: a role
 * revoked by an admin stops working on the next request, not when the token expires.
 */
@Injectable()
export class PrincipalLoader {
  constructor(private readonly dataSource: DataSource) {}

  async load(personId: string): Promise<Principal | undefined> {
    const [row] = await this.dataSource.query(
      // One round trip for everything a request may ask about its caller (`me` needs no other).
      `SELECT p.id, p.name, p.mobile, r.id AS "residentId", r.township_id AS "residentTownshipId", t.name AS "townshipName",
              r.branch_id AS "residentBranchId", b.name AS "branchName",
              coalesce((SELECT json_agg(json_build_object('role', ra.role, 'townshipId', ra.township_id, 'branchId', ra.branch_id))
                        FROM role_assignment ra WHERE ra.person_id = p.id), '[]') AS roles
       FROM person p LEFT JOIN resident r ON r.person_id = p.id
       LEFT JOIN township t ON t.id = r.township_id LEFT JOIN branch b ON b.id = r.branch_id
       WHERE p.id = $1`,
      [personId],
    );
    if (!row) return undefined;
    const roles: { role: string; townshipId: string; branchId: string | null }[] = row.roles;
    return {
      personId: row.id,
      name: row.name,
      mobile: row.mobile,
      resident: row.residentId
        ? { id: row.residentId, townshipId: row.residentTownshipId, townshipName: row.townshipName, branchId: row.residentBranchId, branchName: row.branchName }
        : null,
      adminOf: roles.filter((r) => r.role === 'TOWNSHIP_ADMIN').map((r) => r.townshipId),
      managerOf: roles
        .filter((r) => r.role === 'BRANCH_MANAGER')
        .map((r) => ({ townshipId: r.townshipId, branchId: r.branchId as string })),
    };
  }
}
