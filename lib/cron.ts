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
