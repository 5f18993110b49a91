import { reactive } from 'vue';

/**
 * Who is signed in. The token lives in sessionStorage: it survives a reload but goes with
 * the tab (WeChat closes its web view often, and signing in again there is one silent
 * redirect), it is never in a URL, and the strict CSP keeps foreign script from reading it.
 */
const KEY = 'cb.session';

export type RoleKind = 'resident' | 'manager' | 'admin' | 'shopkeeper';

/** The role a screen acts in: a person may be a resident, a manager and an admin at once. */
export interface ActiveRole {
  kind: RoleKind;
  townshipId: string;
  /** The resident's branch, the managed branch or the kept shop's; null for admins. */
  branchId: string | null;
  /** Shown in the header, e.g. 武兴庄村 or 潞城镇. */
  label: string;
}

interface Stored {
  token: string;
  expiresAt: string;
  role?: ActiveRole;
}

function load(): Stored | undefined {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Stored | null;
    if (stored && new Date(stored.expiresAt).getTime() > Date.now()) return stored;
  } catch {
    // unreadable: sign in again
  }
  return undefined;
}

const initial = load();
export const session = reactive<{ token: string | null; expiresAt: string | null; role: ActiveRole | null }>({
  token: initial?.token ?? null,
  expiresAt: initial?.expiresAt ?? null,
  role: initial?.role ?? null,
});

function save(): void {
  if (session.token && session.expiresAt) {
    sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, expiresAt: session.expiresAt, role: session.role ?? undefined }));
  } else {
    sessionStorage.removeItem(KEY);
  }
}

export function signIn(token: string, expiresAt: string): void {
  session.token = token;
  session.expiresAt = expiresAt;
  session.role = null;
  save();
}

export function chooseRole(role: ActiveRole): void {
  session.role = role;
  save();
}

export function signOut(): void {
  session.token = null;
  session.expiresAt = null;
  session.role = null;
  save();
}

export const isSignedIn = () => !!session.token && !!session.expiresAt && new Date(session.expiresAt).getTime() > Date.now();

/** Where to go after signing in (a scanned check-in link, say): kept out of the OAuth round trip's URL. */
const AFTER_LOGIN = 'cb.afterLogin';
export const rememberDestination = (path: string) => sessionStorage.setItem(AFTER_LOGIN, path);
export function takeDestination(): string | null {
  const path = sessionStorage.getItem(AFTER_LOGIN);
  sessionStorage.removeItem(AFTER_LOGIN);
  return path && path.startsWith('/') && !path.startsWith('//') ? path : null;
}
