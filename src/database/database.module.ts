import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options';
import { TransactionRunner } from './transaction.runner';

/** TypeORM on the given database URL (real or embedded), plus the TransactionRunner. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string, poolSize: number, applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(url, poolSize, applicationName), autoLoadEntities: true, retryAttempts: 3, retryDelay: 1000 })],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
