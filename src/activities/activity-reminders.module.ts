import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { HouseholdsModule } from '../households/households.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { ActivityReminderProcessor } from './activity-reminder.processor';
import { ActivityReminders } from './activity-reminders';
import { ActivityRepository } from './activity.repository';
import { SignupRepository } from './signup.repository';

/** The day-before reminders: scheduled by the activities module, fired by its worker (the API's or the worker process's). */
@Module({
  imports: [OrganisationModule, HouseholdsModule, NotificationsModule],
  providers: [ActivityRepository, SignupRepository, ActivityReminders, ActivityReminderProcessor],
  exports: [ActivityReminders],
})
export class ActivityRemindersModule {}
