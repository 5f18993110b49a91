import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Branch } from './branch.entity';
import { Person } from './person.entity';
import { Resident } from './resident.entity';
import { RoleAssignment } from './role-assignment.entity';
import { ServiceTeam } from './service-team.entity';
import { Township } from './township.entity';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationRepositoryModule } from './organisation-repository.module';
import { OrganisationResolver } from './organisation.resolver';
import { OrganisationService } from './organisation.service';

@Module({
  imports: [TypeOrmModule.forFeature([Township, Branch, ServiceTeam, Person, Resident, RoleAssignment]), LedgerModule, OrganisationRepositoryModule],
  providers: [OrganisationService, OrganisationResolver],
  exports: [OrganisationService, OrganisationRepositoryModule],
})
export class OrganisationModule {}
