import { Foundation1763800000000 } from './1763800000000-foundation';
import { ThemesSettlement1763800200000 } from './1763800200000-themes-settlement';

/** Every migration, oldest first. Listed explicitly so the same list runs from ts (tests) and js (dist). */
export const migrations = [Foundation1763800000000, ThemesSettlement1763800200000];
