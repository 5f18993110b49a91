/**
 * Queue and job names, and the deterministic job ids. An id names the work it does
 * (township, month, branch, run), so adding the same work twice while it is queued,
 * running or kept after completion adds nothing. The database's unique keys remain
 * the final guard (see the themes-settlement migration).
 *
 * BullMQ forbids ':' in custom ids; '.' separates the parts.
 */
export const THEMES_QUEUE = 'themes';
export const SETTLEMENT_QUEUE = 'settlement';
export const QUEUE_NAMES = [THEMES_QUEUE, SETTLEMENT_QUEUE] as const;

export const ThemeJob = {
  /** Fired by the monthly scheduler: fans out one PUBLISH_TOWNSHIP per township. */
  PUBLISH_DUE: 'publish-due',
  /** Publishes every unpublished branch list of one township for one month. */
  PUBLISH_TOWNSHIP: 'publish-township',
} as const;

export const SettlementJob = {
  /** Flow child: every branch's figures. */
  FIGURES: 'settle-figures',
  /** Flow child, beside the figures: the reconciliation, then the month's seal. */
  SEAL: 'settle-seal',
  /** Flow parent, after its children: trial balance, snapshots, the result. */
  TOWNSHIP: 'settle-township',
} as const;

/** The job scheduler that publishes each month's theme lists on the 1st. */
export const THEME_PUBLISH_SCHEDULER_ID = 'publish-monthly-themes';

/**
 * Includes how many branches were already published, so a later request (after a
 * branch was added) is new work, while simultaneous requests collapse into one job.
 */
export const publishTownshipJobId = (townshipId: string, month: string, alreadyPublished: number) =>
  `publish.${townshipId}.${month}.${alreadyPublished}`;

export const settleTownshipJobId = (townshipId: string, month: string, run: number) => `settle.${townshipId}.${month}.r${run}`;

export const settleStepJobId = (townshipId: string, month: string, run: number, step: 'figures' | 'seal') =>
  `settle.${townshipId}.${month}.r${run}.${step}`;

export interface PublishTownshipData {
  townshipId: string;
  month: string;
  /** The admin who asked; null for the scheduler. */
  requestedBy: string | null;
}

export interface SettlementJobData {
  townshipId: string;
  month: string;
  run: number;
}
