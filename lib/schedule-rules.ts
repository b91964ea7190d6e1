// What a valid backup schedule is, in one place: the environment's first values (config.ts), the
// schedule an owner saves (backup/schedule.ts), what a restore carries over, and the schedule
// form as it is typed (the same words before and after Save) all use these. Pure: it runs in the
// browser too.
import { z } from "zod";
import { cronProblem, isValidCron } from "./cron";

export const KEEP_RULE = z
  .number({ error: "must be a number" })
  .int("must be a whole number from 1 to 1000")
  .min(1, "must be at least 1")
  .max(1000, "must be at most 1000");

/** A cron expression croner accepts (5 or 6 fields); "off" is not one (see CRON_OR_OFF_RULE). */
export const CRON_RULE = z
  .string()
  .trim()
  .max(200, "must be at most 200 characters")
  .superRefine((value, context) => {
    const problem =
      value === "off" ? 'must be a cron expression such as "0 3 * * *" (daily at 03:00)' : cronProblem(value);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });

/** The environment's spelling: a cron expression, or `off` for none. */
export const CRON_OR_OFF_RULE = z
  .string()
  .trim()
  .superRefine((value, context) => {
    const problem = isValidCron(value) ? null : cronProblem(value);
    if (problem) context.addIssue({ code: "custom", message: `${problem}, or "off"` });
  })
  .transform((value) => (value === "off" ? null : value));

/** A saved schedule: a cron expression, or null (or empty) for off, and how many to keep. */
export const SCHEDULE_SETTINGS_RULE = z.object({
  cron: z
    .string()
    .nullable()
    .transform((value) => value?.trim() || null)
    .pipe(CRON_RULE.nullable()),
  keep: KEEP_RULE,
});

/**
 * Why the server refuses this schedule, as one sentence, or null when it takes it: what the
 * schedule form shows as it is typed and what a save answers.
 */
export function scheduleProblem(input: { cron: string | null; keep: number }): string | null {
  const parsed = SCHEDULE_SETTINGS_RULE.safeParse(input);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  return issue.path[0] === "keep" ? `Keep ${issue.message}.` : `The schedule ${issue.message}, or empty for off.`;
}
