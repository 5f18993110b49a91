/**
 * The privileges of the role the API and worker connect as (the "app role"), applied by
 * the owner role that migrates (`migrate` with DATABASE_APP_ROLE, and the tests' setup):
 * operators and tests grant exactly the same thing, and a new table gets its grants with
 * the migration that makes it.
 *
 * The app role reads and writes business rows but may only append to the ledger and to
 * settled results: the triggers that forbid changing them can be disabled by a table's
 * owner, so the service must not be one.
 */
export const APPEND_ONLY_TABLES = [
  'account',
  'account_balance', // moved only by the posting trigger, which runs as the owner
  'journal_entry',
  'posting',
  'ledger_period',
  'ledger_seal',
  'account_period_balance',
  'settlement_branch',
  'theme_publication',
  'theme_publication_item',
  'audit_log',
  'honour_month', // a month's honours, once recorded, are final
  'honour_earning',
  'monthly_star',
  'shop_stock_receipt',
  'service_certificate', // what a certificate number verifies never changes
] as const;

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function appRoleGrants(role: string): string[] {
  if (!ROLE_NAME.test(role)) throw new Error(`DATABASE_APP_ROLE: not a plain role name: ${JSON.stringify(role)}`);
  return [
    `DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${role}', current_database()); END $$`,
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
    `REVOKE UPDATE, DELETE, TRUNCATE ON ${APPEND_ONLY_TABLES.join(', ')} FROM ${role}`,
    `REVOKE INSERT, UPDATE, DELETE ON typeorm_migration FROM ${role}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
  ];
}

export async function grantAppRole(db: { query(sql: string): Promise<unknown> }, role: string): Promise<void> {
  for (const statement of appRoleGrants(role)) await db.query(statement);
}
