import { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';

/**
 * The one TypeORM configuration: the API, the worker, the CLI and the tests all use it.
 * No entities here: each feature module registers its own (TypeOrmModule.forFeature,
 * loaded by DatabaseModule's autoLoadEntities); plain DataSources run SQL only.
 */
export function dataSourceOptions(url: string, poolSize: number, applicationName = 'civilization-bank'): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'typeorm_migration',
    // Schema changes happen only through migrations, in every environment.
    synchronize: false,
    migrationsRun: false,
    applicationName,
    extra: { max: poolSize, connectionTimeoutMillis: 10_000 },
  };
}
