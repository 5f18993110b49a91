import { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { entities } from './entities';

/** The one TypeORM configuration: the API, the worker, the CLI and the tests all use it. */
export function dataSourceOptions(url: string, poolSize: number, applicationName = 'civilization-bank'): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migration',
    // Schema changes happen only through migrations, in every environment.
    synchronize: false,
    migrationsRun: false,
    applicationName,
    extra: { max: poolSize, connectionTimeoutMillis: 10_000 },
  };
}
