import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { CourseEnrolmentResolver, CoursesResolver } from './courses.resolver';
import { Course, CourseEnrolment } from './course.entity';
import { CoursesService } from './courses.service';

@Module({
  imports: [TypeOrmModule.forFeature([Course, CourseEnrolment]), LedgerModule, OrganisationModule],
  providers: [CoursesService, CoursesResolver, CourseEnrolmentResolver],
  exports: [CoursesService],
})
export class CoursesModule {}
