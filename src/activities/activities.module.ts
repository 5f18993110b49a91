import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HouseholdsModule } from '../households/households.module';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { PolicyModule } from '../policy/policy.module';
import { ThemesModule } from '../themes/themes.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ActivityRemindersModule } from './activity-reminders.module';
import { ActivityResolver, ActivitySignupResolver } from './activity.resolver';
import { Activity, ActivitySignup } from './activity.entity';
import { ActivityRepository } from './activity.repository';
import { ActivityService } from './activity.service';
import { AttendanceService } from './attendance.service';
import { ServiceHoursRepositoryModule } from './service-hours-repository.module';
import { ServiceHoursService } from './service-hours.service';
import { SignupBatches } from './signup-batches';
import { SignupRepository } from './signup.repository';
import { SignupService } from './signup.service';

@Module({
  imports: [TypeOrmModule.forFeature([Activity, ActivitySignup]), LedgerModule, OrganisationModule, ThemesModule, HouseholdsModule, PolicyModule, NotificationsModule, ActivityRemindersModule, ServiceHoursRepositoryModule],
  providers: [ActivityRepository, SignupRepository, SignupBatches, ActivityService, SignupService, AttendanceService, ServiceHoursService, ActivityResolver, ActivitySignupResolver],
  exports: [ActivityService, SignupService, AttendanceService, ActivityRepository, ServiceHoursService],
})
export class ActivitiesModule {}
