import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { DeedMintProcessor } from './deed-mint.processor';
import { DeedRepository } from './deed.repository';
import { DeedResolver } from './deed.resolver';
import { DeedService } from './deed.service';

/** Good-deed reports and their mint job; imported by the API and the worker (the photo routes are DeedPhotosModule, the API's only). */
@Module({
  imports: [LedgerModule, OrganisationModule],
  providers: [DeedRepository, DeedService, DeedResolver, DeedMintProcessor],
  exports: [DeedService],
})
export class DeedsModule {}
