import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { CourseEnrolmentResolver, CoursesResolver } from './courses.resolver';
import { CoursesService } from './courses.service';

@Module({
  imports: [LedgerModule, OrganisationModule],
  providers: [CoursesService, CoursesResolver, CourseEnrolmentResolver],
  exports: [CoursesService],
})
export class CoursesModule {}
