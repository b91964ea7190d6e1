// Times for people, always with their zone named: "2026-11-27 03:00 UTC". Pure (the server and
// the browser format the same way), built on Intl so any IANA zone works.

export function formatInZone(at: string | Date, timeZone: string, seconds = false): string {
  const date = typeof at === "string" ? new Date(at) : at;
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    ...(seconds ? { second: "2-digit" } : {}),
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const time = `${part("hour")}:${part("minute")}${seconds ? `:${part("second")}` : ""}`;
  return `${part("year")}-${part("month")}-${part("day")} ${time} ${part("timeZoneName")}`;
}

/** How long ago (or from now), coarsely: "just now", "5 min ago", "3 h ago", "2 days ago", "in 4 h". */
export function relativeAge(at: string | Date, now: number = Date.now()): string {
  const then = (typeof at === "string" ? new Date(at) : at).getTime();
  const diff = now - then;
  const abs = Math.abs(diff);
  const minute = 60_000;
  const hour = 60 * minute;
  const day = 24 * hour;
  let span: string;
  if (abs < minute) return "just now";
  else if (abs < hour) span = `${Math.round(abs / minute)} min`;
  else if (abs < 2 * day) span = `${Math.round(abs / hour)} h`;
  else span = `${Math.round(abs / day)} days`;
  return diff >= 0 ? `${span} ago` : `in ${span}`;
}
