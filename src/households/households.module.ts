import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { Household, HouseholdDependent, HouseholdMember } from './household.entity';
import { HouseholdRepository } from './household.repository';
import { HouseholdResolver } from './household.resolver';
import { HouseholdService } from './household.service';

/** Households (户): see HouseholdService. Activities and courses ask it whom a resident may act for. */
@Module({
  imports: [TypeOrmModule.forFeature([Household, HouseholdMember, HouseholdDependent]), LedgerModule, OrganisationModule],
  providers: [HouseholdRepository, HouseholdService, HouseholdResolver],
  exports: [HouseholdService],
})
export class HouseholdsModule {}
