import { Cron } from "croner";

// The fields of a 5-field expression, with a 6th (seconds) in front when there are six, and the
// values each takes (croner's own ranges: weekday 7 is Sunday too).
const FIELDS = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of the month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "weekday", min: 0, max: 7 },
] as const;

const GENERIC = 'must be a cron expression such as "0 3 * * *" (daily at 03:00)';

/**
 * What is wrong with `expression` as a cron pattern, in words that follow the thing's name
 * ("The schedule must be …"), or null when croner accepts it. The one check the schedule form
 * runs as you type and the server runs on save (lib/schedule-rules.ts), so both say the same.
 * The field count and each number's range are named (croner's own message names its internal
 * field and is off by one for days); anything else croner refuses gets the general form.
 */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5 && fields.length !== 6) {
    return `must be a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds first), not ${fields.length}`;
  }
  const kinds = fields.length === 6 ? FIELDS : FIELDS.slice(1);
  for (const [index, field] of fields.entries()) {
    const kind = kinds[index]!;
    // Every number that names a value (not a step after "/"), in lists and ranges alike.
    for (const part of field.split(",")) {
      const values = part.split("/")[0]!.match(/\d+/g) ?? [];
      for (const value of values.map(Number)) {
        if (value < kind.min || value > kind.max) {
          return `must be a cron expression whose ${kind.name} is ${kind.min} to ${kind.max} (not ${value})`;
        }
      }
    }
  }
  try {
    new Cron(expression, { paused: true }).stop();
    return null;
  } catch {
    return GENERIC;
  }
}

/** Whether `expression` is a cron pattern croner accepts (5 or 6 fields), or "off". */
export function isValidCron(expression: string): boolean {
  return expression === "off" || cronProblem(expression) === null;
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
