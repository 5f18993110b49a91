/** The themes queue: the monthly publication of every branch's theme list. */
export const THEMES_QUEUE = 'themes';

export const ThemeJob = {
  /** Fired by the monthly scheduler: fans out one PUBLISH_TOWNSHIP per township. */
  PUBLISH_DUE: 'publish-due',
  /** Publishes every unpublished branch list of one township for one month. */
  PUBLISH_TOWNSHIP: 'publish-township',
} as const;

/** The job scheduler that publishes each month's theme lists on the 1st. */
export const THEME_PUBLISH_SCHEDULER_ID = 'publish-monthly-themes';

/** The cron pattern (Asia/Shanghai) of the monthly publication: `HH:MM` on the 1st. */
export function themePublishPattern(time: string): string {
  const [hours, minutes] = time.split(':').map(Number);
  return `${minutes} ${hours} 1 * *`;
}

/**
 * Includes how many branches were already published, so a later request (after a
 * branch was added) is new work, while simultaneous requests collapse into one job.
 */
export const publishTownshipJobId = (townshipId: string, month: string, alreadyPublished: number) =>
  `publish.${townshipId}.${month}.${alreadyPublished}`;

export interface PublishTownshipData {
  townshipId: string;
  month: string;
  /** The admin who asked; null for the scheduler. */
  requestedBy: string | null;
}
