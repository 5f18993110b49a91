import { DomainError } from '../common/errors/domain.error';
import { Principal } from './principal';

/** Where a thing lives: every row belongs to a township, most to a branch of it. */
export interface Scope {
  townshipId: string;
  branchId?: string | null;
}

export enum Capability {
  /** See township-wide public things: activities, courses, themes, branches. */
  READ = 'READ',
  /** Run a branch: its activities, courses, residents, figures. Township admins may too. */
  MANAGE = 'MANAGE',
  /** Run the township: branches, managers, themes, settlement, adjustments. */
  ADMINISTER = 'ADMINISTER',
  /** Confirm pickups (核销) at a branch's points shop: its shopkeepers, its managers, the township's admins. */
  KEEP_SHOP = 'KEEP_SHOP',
}

/**
 * The single access rule of the service. Resolvers find the scope of what they touch
 * and ask here; nothing else decides who may do what.
 */
export function can(principal: Principal | undefined, capability: Capability, scope: Scope): boolean {
  if (!principal) return false;
  const admin = principal.adminOf.includes(scope.townshipId);
  switch (capability) {
    case Capability.ADMINISTER:
      return admin;
    case Capability.MANAGE:
      return (
        admin ||
        (!!scope.branchId && principal.managerOf.some((m) => m.branchId === scope.branchId && m.townshipId === scope.townshipId))
      );
    case Capability.KEEP_SHOP:
      return (
        can(principal, Capability.MANAGE, scope) ||
        (!!scope.branchId && !!principal.shopkeeperOf?.some((s) => s.branchId === scope.branchId && s.townshipId === scope.townshipId))
      );
    case Capability.READ:
      return (
        admin ||
        principal.resident?.townshipId === scope.townshipId ||
        principal.managerOf.some((m) => m.townshipId === scope.townshipId) ||
        !!principal.shopkeeperOf?.some((s) => s.townshipId === scope.townshipId)
      );
  }
}

export function requireCapability(principal: Principal | undefined, capability: Capability, scope: Scope): void {
  if (!principal) throw new DomainError('UNAUTHENTICATED');
  if (!can(principal, capability, scope)) throw new DomainError('FORBIDDEN');
}

/**
 * The caller's own resident record, or FORBIDDEN for people who are not residents. With a
 * scope, the resident must live in its township: residents act for themselves only on
 * their own township's activities and courses (a manager of another township who lives
 * elsewhere may read its activities, but not sign up for them).
 */
export function requireResident(principal: Principal | undefined, scope?: Scope): NonNullable<Principal['resident']> {
  if (!principal) throw new DomainError('UNAUTHENTICATED');
  if (!principal.resident) throw new DomainError('FORBIDDEN', '仅登记居民可以使用此功能');
  if (scope && principal.resident.townshipId !== scope.townshipId) throw new DomainError('FORBIDDEN', '只能参加本镇的活动和课程');
  return principal.resident;
}

/**
 * Acting for someone else (户): a resident may act for the other members of their household
 * and for its dependents, and for nobody else. `link` is what the household module read
 * for this request (never cached, so a member who left is refused at once): undefined when
 * the caller and the target share no household.
 */
export function requireHouseholdLink<T>(principal: Principal | undefined, link: T | undefined): T {
  requireResident(principal);
  if (!link) throw new DomainError('FORBIDDEN', '只能为本户的家庭成员或家属代办');
  return link;
}

/**
 * True when the caller is a resident of the scope's branch (of its township): the people a
 * branch's public notice (公示) is for, and who may ask for a recheck (复核) of it.
 */
export function livesIn(principal: Principal | undefined, scope: Scope): boolean {
  return !!principal?.resident && principal.resident.townshipId === scope.townshipId && principal.resident.branchId === scope.branchId;
}
