import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobWorkers } from './job-workers';

/**
 * Runs the workers of every `@JobProcessor()` the importing process has (its feature
 * modules declare them); imported by the API when WORKERS_IN_PROCESS, and by the worker process.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [JobWorkers],
})
export class JobWorkersModule {}
