import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options';
import { PreparingClient } from './prepared-statements';
import { TransactionRunner } from './transaction.runner';

/** TypeORM on the given database URL (real or embedded) with prepared statements, plus the TransactionRunner. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string, poolSize: number, applicationName: string): DynamicModule {
    const options = dataSourceOptions(url, poolSize, applicationName);
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...options,
          autoLoadEntities: true,
          // The service's own connections prepare their statements (see PreparingClient).
          extra: { ...options.extra, Client: PreparingClient },
          retryAttempts: 3,
          retryDelay: 1000,
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
