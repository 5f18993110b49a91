import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerModule } from '../ledger/ledger.module';
import { PointsExpiryProcessor } from './points-expiry.processor';
import { PointsExpiryService } from './points-expiry.service';
import { TownshipPolicy } from './township-policy.entity';
import { TownshipPolicyRepository } from './township-policy.repository';
import { TownshipPolicyResolver } from './township-policy.resolver';
import { TownshipPolicyService } from './township-policy.service';

/** Each township's policy (minimum attendance share, points expiry) and the yearly reset job. */
@Module({
  imports: [TypeOrmModule.forFeature([TownshipPolicy]), LedgerModule],
  providers: [TownshipPolicyRepository, TownshipPolicyService, TownshipPolicyResolver, PointsExpiryService, PointsExpiryProcessor],
  exports: [TownshipPolicyRepository, TownshipPolicyService, PointsExpiryService],
})
export class PolicyModule {}
