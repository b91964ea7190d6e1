// The server's log: pino, one logger per process. JSON lines for a container's log collector, or
// one readable line per record on a terminal (`[opstage] message key=value`, the lines this
// server has always printed). Format and level come from the configuration once it is read
// (configureLogging); before that, JSON unless standard output is a terminal, at info.
//
// No pino transport: transports run in a worker thread that loads pino's own files by path,
// which Next's bundling breaks; a plain destination stream is all this needs.
import pino, { type Logger } from "pino";
import { processSingleton } from "./process-singleton";

export type LogFormat = "json" | "pretty";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

type LogRecord = { level: number; msg?: string; err?: { message?: string; stack?: string }; [key: string]: unknown };

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
// Fields every record has, or that pretty lines show in their own way.
const QUIET_FIELDS = new Set(["level", "time", "pid", "hostname", "msg", "err", "app"]);

// A value from outside (a request's parameter in an error message) must not start a line of its
// own that reads as another record: control characters are written as JSON escapes, as the JSON
// format does. Only a stack's own frames go on lines of their own.
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

function prettyError(err: LogRecord["err"]): string {
  if (!err) return "";
  const message = err.message ? ` (${escapeControls(err.message)})` : "";
  const frames = (err.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? `${message}\n${frames.join("\n")}` : message;
}

function prettyLine(record: LogRecord): string {
  const level = record.level >= 40 ? `${LEVEL_NAMES[record.level] ?? record.level}: ` : "";
  const extra = Object.entries(record)
    .filter(([key]) => !QUIET_FIELDS.has(key))
    .map(([key, value]) => ` ${key}=${typeof value === "string" ? escapeControls(value) : JSON.stringify(value)}`)
    .join("");
  return `[opstage] ${level}${escapeControls(record.msg ?? "")}${extra}${prettyError(record.err)}\n`;
}

function createLogger(format: LogFormat, level: LogLevel, fd: 1 | 2 = 1): Logger {
  // Synchronous writes: the last lines before an exit (a refused start, the final checkpoint)
  // must reach the log.
  const out = fd === 1 ? process.stdout : process.stderr;
  const destination =
    format === "json"
      ? pino.destination({ dest: fd, sync: true })
      : { write: (line: string) => void out.write(prettyLine(JSON.parse(line) as LogRecord)) };
  return pino({ level, base: { app: "opstage" }, serializers: { err: pino.stdSerializers.err } }, destination);
}

const shared = () => processSingleton<{ logger: Logger | null }>("logger", () => ({ logger: null }));

/** The process's logger (one for all of Next's bundles). */
export function logger(): Logger {
  const s = shared();
  s.logger ??= createLogger(process.stdout.isTTY ? "pretty" : "json", "info");
  return s.logger;
}

/**
 * Applies the configured format and level (config.ts reads them). The CLI logs to standard error
 * (`toStderr`): its standard output is the command's own answer.
 */
export function configureLogging(options: {
  format: LogFormat | undefined;
  level: LogLevel;
  toStderr?: boolean;
}): void {
  const stream = options.toStderr ? process.stderr : process.stdout;
  shared().logger = createLogger(
    options.format ?? (stream.isTTY ? "pretty" : "json"),
    options.level,
    options.toStderr ? 2 : 1,
  );
}
