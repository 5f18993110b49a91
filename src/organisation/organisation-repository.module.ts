import { Module } from '@nestjs/common';
import { OrganisationRepository } from './organisation.repository';

/**
 * The organisation's repository alone, for modules that need its reads but that the
 * organisation itself depends on (the ledger: its admin lookups of a resident's branch).
 */
@Module({ providers: [OrganisationRepository], exports: [OrganisationRepository] })
export class OrganisationRepositoryModule {}
