import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HouseholdsModule } from '../households/households.module';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { CourseEnrolmentResolver, CourseResolver } from './course.resolver';
import { Course, CourseEnrolment } from './course.entity';
import { CourseRepository } from './course.repository';
import { CourseService } from './course.service';

@Module({
  imports: [TypeOrmModule.forFeature([Course, CourseEnrolment]), LedgerModule, OrganisationModule, HouseholdsModule],
  providers: [CourseService, CourseRepository, CourseResolver, CourseEnrolmentResolver],
  exports: [CourseService, CourseRepository],
})
export class CoursesModule {}
