// Browse, compare and export, for the routes and the CLI: each takes file paths (a stored
// backup, an upload, a moment of the replica restored into a temp file, the live database) and
// runs in the inspect worker. A file that is not a sound Opstage database is refused with the
// words verify uses for it (lib/backup/verify.ts), so the Backups page and this say the same.
import { readManifest } from "../backup/manifest";
import { backupPath } from "../backup/files";
import { verdictOf } from "../backup/verdict";
import { verifyDatabaseFile } from "../backup/verify";
import { csvField } from "../csv";
import { KnownError } from "../errors";
import type { MigrationFile } from "../migrate/files";
import { FOREIGN_CODE, NO_TABLE_CODE } from "./read";
import type { BackupContents, CompareProgress, Comparison, DomainView, RowsPage } from "./types";
import { InspectTaskError, InspectWorker, runInspectTask } from "./worker";

export class InspectRefusedError extends KnownError {
  override name = "InspectRefusedError";
  constructor(label: string, detail: string) {
    super("unprocessable", "not_inspectable", `This file cannot be read (${label}): ${detail}`);
  }
}

export class InspectInputError extends KnownError {
  override name = "InspectInputError";
  constructor(message: string, kind: "invalid" | "not_found" = "invalid") {
    super(kind, kind === "not_found" ? "not_found" : "invalid_input", message);
  }
}

/** SQLite's answers for a file that is not a sound database, and ours for a foreign one. */
const REFUSAL_CODES = new Set([
  FOREIGN_CODE,
  "SQLITE_NOTADB",
  "SQLITE_CORRUPT",
  "SQLITE_CANTOPEN",
  "SQLITE_IOERR_SHORT_READ",
]);

/**
 * A stored backup's path, refused up front when its last verification found it bad (the same
 * label and sentence as the Backups page); a backup made by a newer version can still be read.
 */
export function inspectableBackupPath(backupDir: string, name: string): string {
  const file = backupPath(backupDir, name);
  const verification = readManifest(backupDir, name)?.verification;
  if (verification && !verification.restorable && verification.state !== "newer") {
    const verdict = verdictOf({ verification, lastMigration: null }, []);
    throw new InspectRefusedError(verdict.label, verification.detail);
  }
  return file;
}

/** Verifies the file the worker could not read, to refuse it with verify's own words. */
async function explain(error: unknown, files: string[], shipped: MigrationFile[]): Promise<unknown> {
  if (!(error instanceof InspectTaskError)) return error;
  const [code, side] = (error.code ?? "").split(":");
  if (code === NO_TABLE_CODE) return new InspectInputError(error.message, "not_found");
  if (code === "OPSTAGE_CURSOR") return new InspectInputError(error.message);
  if (!code || !REFUSAL_CODES.has(code)) return error;
  for (const file of side === "to" ? files.slice(1) : files) {
    const verification = await verifyDatabaseFile(file, shipped, null, {}, { oneAtATime: true });
    if (!verification.restorable && verification.state !== "newer") {
      const verdict = verdictOf({ verification, lastMigration: null }, []);
      return new InspectRefusedError(verdict.label, verification.detail);
    }
  }
  return error;
}

async function inWorker<T>(files: string[], shipped: MigrationFile[], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw await explain(error, files, shipped);
  }
}

/** The tables with their row counts; with `sizes`, also what each occupies (a pass over every page). */
export function backupContents(
  file: string,
  shipped: MigrationFile[],
  options: { sizes?: boolean } = {},
): Promise<BackupContents> {
  return inWorker([file], shipped, () => runInspectTask("contents", { path: file, sizes: options.sizes ?? false }));
}

export function backupDomainView(file: string, shipped: MigrationFile[]): Promise<DomainView> {
  return inWorker([file], shipped, () => runInspectTask("domain", { path: file }));
}

export const DEFAULT_PAGE_ROWS = 50;

export function backupRows(
  file: string,
  table: string,
  page: { after: string | null; limit?: number },
  shipped: MigrationFile[],
): Promise<RowsPage> {
  return inWorker([file], shipped, () =>
    runInspectTask("rows", { path: file, table, after: page.after, limit: page.limit ?? DEFAULT_PAGE_ROWS }),
  );
}

/**
 * What changes when `from` becomes `to` (the restore preview: from = live, to = the backup).
 * `sampleRows`: how many differing rows to return for the tables named (FIRST_ROWS otherwise).
 */
export function compareFiles(
  from: { path: string; label: string },
  to: { path: string; label: string },
  shipped: MigrationFile[],
  options: {
    onProgress?: (progress: CompareProgress) => void;
    signal?: AbortSignal;
    sampleRows?: Record<string, number>;
  } = {},
): Promise<Comparison> {
  const { sampleRows, ...taskOptions } = options;
  const labels = { from: from.label, to: to.label };
  return inWorker([from.path, to.path], shipped, () =>
    runInspectTask("compare", { from: from.path, to: to.path, labels, sampleRows }, taskOptions),
  );
}

export type ExportFormat = "csv" | "ndjson";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["csv", "ndjson"];
const EXPORT_PAGE_ROWS = 500;

/**
 * One table of a file, masked, as CSV (a header line, then a line per row) or NDJSON (an object
 * per line), a page at a time: the caller writes each chunk before the next page is read, so
 * memory stays one page whatever the table's size.
 */
export async function* exportTable(
  file: string,
  table: string,
  format: ExportFormat,
  shipped: MigrationFile[],
): AsyncGenerator<string> {
  const worker = new InspectWorker();
  try {
    let after: string | null = null;
    let first = true;
    do {
      const request = { path: file, table, after, limit: EXPORT_PAGE_ROWS };
      const page: RowsPage = await inWorker([file], shipped, () => worker.call("rows", request));
      let chunk = "";
      if (first && format === "csv") chunk += `${page.columns.map(csvField).join(",")}\r\n`;
      first = false;
      for (const row of page.rows) {
        chunk +=
          format === "csv"
            ? `${row.map(csvField).join(",")}\r\n`
            : `${JSON.stringify(Object.fromEntries(page.columns.map((column, i) => [column, row[i]])))}\n`;
      }
      if (chunk) yield chunk;
      after = page.next;
    } while (after);
  } finally {
    await worker.close();
  }
}
