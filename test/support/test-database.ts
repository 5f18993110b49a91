import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { adminQuery, createMigratedDatabase, databaseUrl, dropDatabase } from './postgres';

export interface TestDatabase {
  name: string;
  url: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own; `drop()` it in afterAll. */
export async function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const name = `cb_test_${randomBytes(6).toString('hex')}`;
  const template = process.env.CB_TEST_TEMPLATE;
  if (template) {
    await cloneTemplate(name, template);
  } else {
    await createMigratedDatabase(name);
  }
  const url = databaseUrl(name);
  const dataSource = new DataSource(dataSourceOptions(url, poolSize, 'test'));
  await dataSource.initialize();
  return {
    name,
    url,
    dataSource,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await dropDatabase(name);
    },
  };
}

async function cloneTemplate(name: string, template: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      return;
    } catch (error) {
      // Two files cloning at the same instant: "source database is being accessed by other users".
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
