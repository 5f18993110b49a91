import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { startEmbeddedPostgres } from './embedded-postgres';
import { grantAppRole } from './app-role-grants';

const logger = new Logger('Database');

/** DATABASE_URL, or an embedded PostgreSQL started for this process when it is unset. */
export async function resolveDatabaseUrl(config: AppConfig): Promise<{ url: string; stop: () => Promise<void> }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => undefined };
  return startEmbeddedPostgres(config.EMBEDDED_PG_DIR, config.EMBEDDED_PG_PORT, (m) => logger.log(m));
}

/**
 * Applies pending migrations, then (given the app role) that role's grants. Serialised by
 * an advisory lock held on a second connection, so concurrent starters do not race.
 */
export async function runMigrations(url: string, appRole?: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url, 2, 'civilization-bank-migrate'));
  await ds.initialize();
  try {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtext('civilization-bank:migrations'))`);
      const applied = await ds.runMigrations({ transaction: 'each' });
      if (appRole) await grantAppRole(runner, appRole);
      return applied.map((m) => m.name);
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext('civilization-bank:migrations'))`).catch(() => undefined);
      await runner.release();
    }
  } finally {
    await ds.destroy();
  }
}
