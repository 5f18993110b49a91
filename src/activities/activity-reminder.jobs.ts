/** The activity reminders queue: one delayed job per published activity, the day before it starts. */
export const ACTIVITY_REMINDERS_QUEUE = 'activity-reminders';

export const ActivityReminderJob = { REMIND: 'remind' } as const;

/** How long before the start the reminder goes. */
export const REMINDER_LEAD_MS = 24 * 3600_000;

/** Named by the activity and its start: a moved start is another reminder (the old one is removed). */
export const reminderJobId = (activityId: string, startsAt: Date) => `remind.${activityId}.${startsAt.getTime()}`;

export interface RemindJobData {
  activityId: string;
  /** The start the reminder was scheduled for (ms); a reminder for a start since moved does nothing. */
  startsAt: number;
}
