/** The settlement queue: one flow per (township, month, run). */
export const SETTLEMENT_QUEUE = 'settlement';

export const SettlementJob = {
  /** Flow child: every branch's figures. */
  FIGURES: 'settle-figures',
  /** Flow child, beside the figures: the reconciliation, then the month's seal. */
  SEAL: 'settle-seal',
  /** Flow parent, after its children: trial balance, snapshots, the result. */
  TOWNSHIP: 'settle-township',
} as const;

export const settleTownshipJobId = (townshipId: string, month: string, run: number) => `settle.${townshipId}.${month}.r${run}`;

export const settleStepJobId = (townshipId: string, month: string, run: number, step: 'figures' | 'seal') =>
  `settle.${townshipId}.${month}.r${run}.${step}`;

export interface SettlementJobData {
  townshipId: string;
  month: string;
  run: number;
}
