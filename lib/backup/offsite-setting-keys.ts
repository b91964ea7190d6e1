// Where the offsite target lives in SystemSetting. Here, below lib/offsite (which builds on this
// folder), so that a restore (restore-changes.ts) can keep the target across the swap without
// importing the offsite code.
export const OFFSITE_TARGET_KEY = "offsite.target";
export const OFFSITE_SETTING_KEYS = [OFFSITE_TARGET_KEY] as const;
