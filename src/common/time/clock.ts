import { Global, Injectable, Module } from '@nestjs/common';

/**
 * The service's notion of "now" for business rules (deadlines, check-in windows).
 * Injected rather than read from `new Date()` so tests can move time without sleeping.
 * Ledger booking times are set by the database, not by this clock.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
