import { Cron } from "croner";

/** Whether `expression` is a cron pattern croner accepts (5 or 6 fields), or "off". */
export function isValidCron(expression: string): boolean {
  if (expression === "off") return true;
  try {
    new Cron(expression, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

/**
 * The longest gap between the expression's next few runs, in ms (a weekday-only schedule's
 * interval is its weekend gap); null when it never runs again.
 */
export function cronIntervalMs(expression: string, from = new Date()): number | null {
  const runs = new Cron(expression, { paused: true }).nextRuns(8, from);
  if (runs.length < 2) return null;
  let longest = 0;
  for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]!.getTime() - runs[i - 1]!.getTime());
  return longest;
}
