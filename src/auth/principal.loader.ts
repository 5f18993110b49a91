import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { IdentityRow, OrganisationRepository } from '../organisation/organisation.repository';
import { Principal } from './principal';

/**
 * Loads the caller's identity and roles, once per request, from the database: a role
 * revoked by an admin stops working on the next request, not when the token expires.
 *
 * Requests whose principals are loaded in the same turn of the event loop share one
 * statement: a burst of first requests (a sign-up storm of residents just logged in)
 * arrives in one turn, and would otherwise queue one statement per request for the pool.
 * Nothing is kept between batches (the cache is PrincipalCache's), and every statement
 * is sent after the requests it serves arrived, so it reads what committed before them.
 */
@Injectable()
export class PrincipalLoader {
  private readonly batches = new DataLoader<string, IdentityRow | undefined>(
    async (personIds) => {
      const rows = await this.organisation.identities([...new Set(personIds)]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return personIds.map((id) => byId.get(id));
    },
    // setImmediate: once every request read in this turn has asked, not after each one.
    { cache: false, batchScheduleFn: (load) => setImmediate(load) },
  );

  constructor(private readonly organisation: OrganisationRepository) {}

  async load(personId: string): Promise<Principal | undefined> {
    const row = await this.batches.load(personId);
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
