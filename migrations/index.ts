import { Foundation1763800000000 } from './1763800000000-foundation';

/** Every migration, oldest first. Listed explicitly so the same list runs from ts (tests) and js (dist). */
export const migrations = [Foundation1763800000000];
