import { Client } from 'pg';
import { runMigrations } from '../../src/database/database-url';

/** The machine's PostgreSQL (trust auth). Tests only ever create and drop their own databases in it. */
export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The production roles of README "Database roles", for every test: the owner role migrates,
 * the app role is what the service and the tests connect as. Roles are cluster-wide and
 * shared by concurrent runs, so their names are fixed and they are never dropped.
 */
export const OWNER_ROLE = 'cb_test_owner';
export const APP_ROLE = 'cb_test_app';

/** A URL of the database `name`: as the superuser (default), the owner role or the app role. */
export function databaseUrl(name: string, role?: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  if (role) {
    url.username = role;
    url.password = 'cb-test';
  }
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates the owner and app roles unless they exist; another run creating them at the same moment is fine. */
export async function ensureTestRoles(): Promise<void> {
  for (const role of [OWNER_ROLE, APP_ROLE]) {
    await adminQuery(
      `DO $$ BEGIN CREATE ROLE ${role} LOGIN PASSWORD 'cb-test';
       EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
    );
  }
}

/** Creates a database owned by the owner role, runs the real migrations as that role and grants the app role. */
export async function createMigratedDatabase(name: string): Promise<void> {
  // Jest's global setup makes the roles too, but a benchmark on a fresh machine has none.
  await ensureTestRoles();
  await adminQuery(`CREATE DATABASE "${name}" OWNER ${OWNER_ROLE}`);
  await runMigrations(databaseUrl(name, OWNER_ROLE), APP_ROLE);
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
