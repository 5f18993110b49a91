import { Injectable } from '@nestjs/common';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { Principal } from './principal';

/**
 * Loads the caller's identity and roles, once per request, from the database: a role
 * revoked by an admin stops working on the next request, not when the token expires.
 */
@Injectable()
export class PrincipalLoader {
  constructor(private readonly organisation: OrganisationRepository) {}

  async load(personId: string): Promise<Principal | undefined> {
    const row = await this.organisation.identity(personId);
    if (!row) return undefined;
    const roles = row.roles;
    return {
      personId: row.id,
      name: row.name,
      mobile: row.mobile,
      resident: row.residentId
        ? { id: row.residentId, townshipId: row.residentTownshipId!, townshipName: row.townshipName!, branchId: row.residentBranchId!, branchName: row.branchName! }
        : null,
      adminOf: roles.filter((r) => r.role === 'TOWNSHIP_ADMIN').map((r) => r.townshipId),
      managerOf: roles
        .filter((r) => r.role === 'BRANCH_MANAGER')
        .map((r) => ({ townshipId: r.townshipId, branchId: r.branchId as string })),
      shopkeeperOf: roles
        .filter((r) => r.role === 'SHOPKEEPER')
        .map((r) => ({ townshipId: r.townshipId, branchId: r.branchId as string })),
    };
  }
}
