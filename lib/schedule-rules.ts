// What a valid backup schedule is, in one place: the environment's first values (config.ts), the
// schedule an owner saves (backup/schedule.ts), and what a restore carries over all use these.
import { z } from "zod";
import { isValidCron } from "./cron";

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
  .refine(
    (value) => value !== "off" && isValidCron(value),
    'must be a cron expression such as "0 3 * * *" (daily at 03:00)',
  );

/** The environment's spelling: a cron expression, or `off` for none. */
export const CRON_OR_OFF_RULE = z
  .string()
  .trim()
  .refine(isValidCron, 'must be a cron expression such as "0 3 * * *" (daily at 03:00), or "off"')
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
