import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { adminQuery, APP_ROLE, createMigratedDatabase, databaseUrl, dropDatabase, ensureTestRoles, OWNER_ROLE } from './postgres';

export interface TestDatabase {
  name: string;
  /** As the app role: what the service connects as in production. */
  url: string;
  /** As the owner role (migrations, the demo seed's back-dated history). */
  ownerUrl: string;
  /** As the superuser: only for tests that tamper with what the app role cannot touch. */
  superuserUrl: string;
  /** As the app role. */
  dataSource: DataSource;
  /** As the owner role, opened on first use: back-dated bookings and tampering with balances. */
  asOwner(): Promise<DataSource>;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own; `drop()` it in afterAll. */
export async function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const name = `cb_test_${randomBytes(6).toString('hex')}`;
  const template = process.env.CB_TEST_TEMPLATE;
  if (template) {
    await cloneTemplate(name, template);
  } else {
    await ensureTestRoles();
    await createMigratedDatabase(name);
  }
  const url = databaseUrl(name, APP_ROLE);
  const dataSource = new DataSource(dataSourceOptions(url, poolSize, 'test'));
  await dataSource.initialize();
  const ownerUrl = databaseUrl(name, OWNER_ROLE);
  let owner: Promise<DataSource> | undefined;
  return {
    name,
    url,
    ownerUrl,
    superuserUrl: databaseUrl(name),
    dataSource,
    asOwner: () => (owner ??= new DataSource(dataSourceOptions(ownerUrl, 4, 'test-owner')).initialize()),
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      if (owner) await (await owner).destroy();
      await dropDatabase(name);
    },
  };
}

async function cloneTemplate(name: string, template: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      // The clone keeps the template's tables, their owner and the app role's grants.
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}" OWNER ${OWNER_ROLE}`);
      return;
    } catch (error) {
      // Two files cloning at the same instant: "source database is being accessed by other users".
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
