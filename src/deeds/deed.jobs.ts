/** The deeds queue: minting a report's points when its notice window closes. */
export const DEEDS_QUEUE = 'deeds';

export const DeedJob = {
  /** Delayed to the end of a notice window: mints the report's points unless a recheck is open. */
  MINT: 'mint',
  /** Every few minutes: queues MINT for every window that has closed (a lost delayed job, a Redis restarted empty). */
  SWEEP: 'sweep',
} as const;

export const DEED_SWEEP_SCHEDULER_ID = 'sweep-deed-notices';
export const DEED_SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * One job per report and notice round: a re-approval after a recheck is a new round and
 * so new work; the same round added twice (approval and sweep) collapses into one job.
 */
export const mintDeedJobId = (reportId: string, round: number) => `deed-mint.${reportId}.${round}`;

export interface MintDeedData {
  reportId: string;
  round: number;
}
