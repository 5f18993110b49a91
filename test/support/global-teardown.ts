import { dropDatabase } from './postgres';

export default async function globalTeardown() {
  if (process.env.CB_TEST_TEMPLATE) await dropDatabase(process.env.CB_TEST_TEMPLATE);
}
