import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { ThemesModule } from '../themes/themes.module';
import { ActivitiesResolver, ActivitySignupResolver } from './activities.resolver';
import { ActivitiesService } from './activities.service';

@Module({
  imports: [LedgerModule, OrganisationModule, ThemesModule],
  providers: [ActivitiesService, ActivitiesResolver, ActivitySignupResolver],
  exports: [ActivitiesService],
})
export class ActivitiesModule {}
