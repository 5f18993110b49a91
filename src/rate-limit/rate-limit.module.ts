import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { GraphqlThrottlerGuard } from './graphql-throttler.guard';
import { RateLimitStorage } from './rate-limit.storage';

const MINUTE_MS = 60_000;

/**
 * Rate limits (see GraphqlThrottlerGuard). Import after AuthModule: guards run in
 * registration order, and the per-person limit needs the principal the auth guard loads.
 * Counters are shared by all replicas through Redis (see RateLimitStorage).
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    const storage = new RateLimitStorage(config);
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [
            { name: 'login', ttl: MINUTE_MS, limit: config.RATE_LIMIT_LOGINS_PER_MINUTE },
            { name: 'mutation', ttl: MINUTE_MS, limit: config.RATE_LIMIT_MUTATIONS_PER_MINUTE },
            { name: 'read', ttl: MINUTE_MS, limit: config.RATE_LIMIT_READS_PER_MINUTE },
            { name: 'public', ttl: MINUTE_MS, limit: config.RATE_LIMIT_PUBLIC_PER_MINUTE },
          ],
          storage,
        }),
      ],
      // The storage is ThrottlerModule's provider (ThrottlerStorage), so Nest calls its
      // lifecycle hooks (opening and closing its Redis connection) once, from there.
      providers: [{ provide: APP_GUARD, useClass: GraphqlThrottlerGuard }],
    };
  }
}
