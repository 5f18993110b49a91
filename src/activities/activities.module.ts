import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { ThemesModule } from '../themes/themes.module';
import { ActivitiesResolver, ActivitySignupResolver } from './activities.resolver';
import { ActivitiesService } from './activities.service';
import { Activity, ActivitySignup } from './activity.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Activity, ActivitySignup]), LedgerModule, OrganisationModule, ThemesModule],
  providers: [ActivitiesService, ActivitiesResolver, ActivitySignupResolver],
  exports: [ActivitiesService],
})
export class ActivitiesModule {}
