/** The points expiry queue: each township's yearly reset. */
export const POINTS_EXPIRY_QUEUE = 'points-expiry';

export const PointsExpiryJob = {
  /** Fired daily by the scheduler: queues EXPIRE_TOWNSHIP for every township whose cut-off is due and not done. */
  EXPIRE_DUE: 'expire-due',
  /** Books one township's reset of one cut-off date. */
  EXPIRE_TOWNSHIP: 'expire-township',
} as const;

/** The daily check, a little after midnight (Asia/Shanghai): a cut-off is a date's 00:00. */
export const POINTS_EXPIRY_SCHEDULER_ID = 'expire-points-daily';
export const POINTS_EXPIRY_PATTERN = '10 0 * * *';

/** One job per township and cut-off date, however often the scheduler or an operator asks. */
export const expireTownshipJobId = (townshipId: string, cutoffDate: string) => `expire.${townshipId}.${cutoffDate}`;

export interface ExpireTownshipData {
  townshipId: string;
  /** YYYY-MM-DD, Asia/Shanghai. */
  cutoffDate: string;
}
