import { createMigratedDatabase, dropDatabase, ensureTestRoles } from './postgres';

/**
 * Migrates one template database per test run; every test file clones it
 * (CREATE DATABASE ... TEMPLATE), which is much faster than migrating each time.
 * Test files still run the real migrations: the template is made by them, as the owner
 * role, and every test connects as the app role (README "Database roles").
 */
export default async function globalSetup() {
  const template = `cb_test_template_${process.pid}_${Date.now()}`;
  await ensureTestRoles();
  await dropDatabase(template);
  await createMigratedDatabase(template);
  process.env.CB_TEST_TEMPLATE = template;
}
