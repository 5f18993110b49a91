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

  /**
   * The time to book ledger entries at; undefined (always, except while the demo seed
   * writes last month's history) leaves it to the database's clock. Dating an entry is
   * refused to anyone but the ledger's owner role.
   */
  bookingTime(): Date | undefined {
    return undefined;
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
