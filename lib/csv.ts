// One CSV field, for every export (the audit log, a backup's tables).

/**
 * A value as one RFC 4180 field: quoted when it holds a quote, comma or line break. Text that a
 * spreadsheet program would run as a formula (first character = + - @, tab or CR) gets a leading
 * apostrophe, which keeps it text: usernames, messages and user agents come from anyone. Numbers
 * are written as they are (a negative number is not a formula); objects as JSON.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const numeric = typeof value === "number" || typeof value === "bigint";
  let text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (!numeric && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
