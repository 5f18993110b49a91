import { Module } from '@nestjs/common';
import { ServiceHoursRepository } from './service-hours.repository';

/**
 * The service-hours reads alone, for modules that count hours without the activities'
 * services and resolvers (honours: star levels by hours, also loaded by the settlement's worker).
 */
@Module({ providers: [ServiceHoursRepository], exports: [ServiceHoursRepository] })
export class ServiceHoursRepositoryModule {}
