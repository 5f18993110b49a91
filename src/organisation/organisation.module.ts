import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Branch } from './branch.entity';
import { Person } from './person.entity';
import { Resident } from './resident.entity';
import { RoleAssignment } from './role-assignment.entity';
import { ServiceTeam } from './service-team.entity';
import { Township } from './township.entity';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationRepository } from './organisation.repository';
import { OrganisationResolver } from './organisation.resolver';
import { OrganisationService } from './organisation.service';

@Module({
  imports: [TypeOrmModule.forFeature([Township, Branch, ServiceTeam, Person, Resident, RoleAssignment]), LedgerModule],
  providers: [OrganisationService, OrganisationRepository, OrganisationResolver],
  exports: [OrganisationService, OrganisationRepository],
})
export class OrganisationModule {}
