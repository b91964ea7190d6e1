// A cron expression in words ("Every day at 03:00"), and the presets the schedule form offers.
// Pure and small on purpose: it covers the shapes people write (numbers, `*`, `*/n`, lists and
// ranges in 5 or 6 fields) and says "Custom schedule" for anything else rather than guessing.

export const CRON_PRESETS = [
  { label: "Daily at 03:00", cron: "0 3 * * *" },
  { label: "Every 6 hours", cron: "0 */6 * * *" },
  { label: "Weekly, Sunday 03:00", cron: "0 3 * * 0" },
] as const;

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const NUMBER = /^\d+$/;
const STEP = /^\*\/(\d+)$/;
const LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

const pad = (value: string) => value.padStart(2, "0");

function listWords(field: string, name: (n: number) => string): string {
  return field
    .split(",")
    .map((part) => {
      const [from, to] = part.split("-");
      return to === undefined ? name(Number(from)) : `${name(Number(from))} to ${name(Number(to))}`;
    })
    .join(", ");
}

function dayName(n: number): string {
  return DAYS[n % 7] ?? String(n);
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

function timeWords(second: string, minute: string, hour: string): string | null {
  const sec = second === "0" ? "" : NUMBER.test(second) ? `:${pad(second)}` : null;
  if (sec === null) {
    if (second === "*" && minute === "*" && hour === "*") return "every second";
    const step = STEP.exec(second);
    if (step && minute === "*" && hour === "*") return `every ${step[1]} seconds`;
    return null;
  }
  if (NUMBER.test(minute) && NUMBER.test(hour)) return `at ${pad(hour)}:${pad(minute)}${sec}`;
  if (NUMBER.test(minute) && LIST.test(hour)) {
    return `at minute ${minute} past hour ${listWords(hour, (n) => pad(String(n)))}`;
  }
  const hourStep = STEP.exec(hour);
  if (NUMBER.test(minute) && hourStep) {
    const every = hourStep[1] === "1" ? "every hour" : `every ${hourStep[1]} hours`;
    return `${every} at minute ${minute} (from 00:${pad(minute)})`;
  }
  if (NUMBER.test(minute) && hour === "*") return `every hour at minute ${minute}`;
  const minuteStep = STEP.exec(minute);
  if (minuteStep && hour === "*") return `every ${minuteStep[1]} minutes`;
  if (minute === "*" && hour === "*" && sec === "") return "every minute";
  return null;
}

/** The expression in words, or null when it is not a shape this function knows. */
export function describeCron(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return null;
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields.length === 6 ? fields : ["0", ...fields];
  const time = timeWords(second!, minute!, hour!);
  if (!time) return null;
  if (dayOfMonth === "*" && dayOfWeek === "*" && month === "*" && time.startsWith("every ")) {
    return `E${time.slice(1)}`;
  }
  const parts: string[] = [];
  if (dayOfMonth === "*" && dayOfWeek === "*") parts.push("Every day");
  else if (dayOfMonth === "*" && LIST.test(dayOfWeek!)) parts.push(`Every ${listWords(dayOfWeek!, dayName)}`);
  else if (dayOfWeek === "*" && LIST.test(dayOfMonth!)) {
    parts.push(`On day ${listWords(dayOfMonth!, ordinal)} of the month`);
  } else return null;
  if (time.startsWith("every ")) parts[0] = `${parts[0]},`;
  if (month !== "*") {
    if (!LIST.test(month!)) return null;
    parts.push(`in ${listWords(month!, (n) => MONTHS[n - 1] ?? String(n))}`);
  }
  parts.push(time);
  return parts.join(" ");
}
