// Where the offsite target lives in SystemSetting. Its own module without imports, so that
// lib/backup/restore-changes.ts can keep it across a restore without importing the S3 code.
export const OFFSITE_TARGET_KEY = "offsite.target";
export const OFFSITE_SETTING_KEYS = [OFFSITE_TARGET_KEY] as const;
