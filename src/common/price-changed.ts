import { DomainError } from './errors/domain.error';

/** The price changed between the command's read and the write that takes the goods (a course seat, shop stock). */
export class PriceChanged extends Error {}

/**
 * Runs a command that charges the price it read and takes the goods last, at that price
 * (see CourseService.takeSeat): again while the price moves under it, at most `attempts`
 * times, then TEMPORARILY_UNAVAILABLE.
 */
export async function atCurrentPrice<T>(command: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await command();
    } catch (error) {
      if (!(error instanceof PriceChanged)) throw error;
      if (attempt === attempts) throw new DomainError('TEMPORARILY_UNAVAILABLE');
    }
  }
}
