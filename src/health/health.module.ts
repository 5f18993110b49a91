import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { QueueBackendHealth } from './queue-backend.health';

@Module({
  imports: [TerminusModule.forRoot()],
  controllers: [HealthController],
  providers: [QueueBackendHealth],
})
export class HealthModule {}
