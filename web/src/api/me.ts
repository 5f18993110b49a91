import { reactive } from 'vue';
import type { MeQuery as MeResult } from '../gql/graphql';
import { request } from './client';
import { MeQuery } from './common';
import { type ActiveRole, type RoleKind, chooseRole, session } from './session';

export type Me = MeResult['me'];

/** The signed-in person, loaded once per sign-in (screens that show the balance ask for it themselves). */
export const current = reactive<{ me: Me | null }>({ me: null });

export async function loadMe(): Promise<Me> {
  if (!current.me) current.me = (await request(MeQuery)).me;
  return current.me;
}

export function forgetMe(): void {
  current.me = null;
}

/** Every role the person holds, admin first. */
export function rolesOf(me: Me): ActiveRole[] {
  const roles: ActiveRole[] = [];
  for (const r of me.roles) {
    if (r.role === 'TOWNSHIP_ADMIN') roles.push({ kind: 'admin', townshipId: r.townshipId, branchId: null, label: '总行管理员' });
  }
  for (const r of me.roles) {
    if (r.role === 'BRANCH_MANAGER') roles.push({ kind: 'manager', townshipId: r.townshipId, branchId: r.branchId ?? null, label: '分行行长' });
  }
  for (const r of me.roles) {
    if (r.role === 'SHOPKEEPER') roles.push({ kind: 'shopkeeper', townshipId: r.townshipId, branchId: r.branchId ?? null, label: '积分超市管理员' });
  }
  if (me.resident) {
    roles.push({ kind: 'resident', townshipId: me.resident.townshipId, branchId: me.resident.branchId, label: `居民 · ${me.resident.branchName}` });
  }
  return roles;
}

export const HOME_OF: Record<RoleKind, string> = { resident: '/r/home', manager: '/m/month', admin: '/a/themes', shopkeeper: '/k/pickup' };

/** Makes sure a role is chosen, preferring `wanted`; returns it (undefined for a person with no role). */
export async function ensureRole(wanted?: RoleKind): Promise<ActiveRole | undefined> {
  if (session.role && (!wanted || session.role.kind === wanted)) return session.role;
  const roles = rolesOf(await loadMe());
  const role = roles.find((r) => r.kind === wanted) ?? session.role ?? roles[0];
  if (role && role !== session.role) chooseRole(role);
  return role;
}
