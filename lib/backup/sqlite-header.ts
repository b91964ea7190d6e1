// The first check an uploaded backup gets, before any byte is stored under its name: the 100-byte
// SQLite header says what the file must be (https://sqlite.org/fileformat2.html#the_database_header):
// the magic string, a page size, and — when "version-valid-for" matches the change counter, as it
// does in every file SQLite wrote last — the page count. Page size × page count is then the
// file's exact length: a shorter file was cut off. Pure (Uint8Array in, words out), so the
// browser runs the same check on the picked file before it uploads anything.

export const SQLITE_HEADER_BYTES = 100;
const MAGIC = "SQLite format 3\0";

export type SqliteHeader = { pageSize: number; pageCount: number | null };

function u32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** The header's facts, or why these bytes are not the start of a SQLite database. */
export function readSqliteHeader(bytes: Uint8Array): SqliteHeader | { problem: string } {
  if (bytes.length < SQLITE_HEADER_BYTES) {
    return { problem: `it is ${bytes.length} bytes long, shorter than a SQLite header (100 bytes)` };
  }
  for (let i = 0; i < MAGIC.length; i += 1) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) {
      return { problem: 'it does not start with "SQLite format 3": it is not a SQLite database' };
    }
  }
  const raw = (bytes[16]! << 8) | bytes[17]!;
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    return { problem: `its header gives an impossible page size (${raw}): the file is damaged` };
  }
  const changeCounter = u32(bytes, 24);
  const validFor = u32(bytes, 92);
  const pageCount = u32(bytes, 28);
  return { pageSize, pageCount: validFor === changeCounter && pageCount > 0 ? pageCount : null };
}

/**
 * Why a file of `size` bytes starting with `bytes` cannot be a whole SQLite database, or null.
 * A file longer than the header says is accepted (SQLite ignores trailing pages it does not
 * count); a shorter one, or one that is not whole pages, is cut off.
 */
export function sqliteFileProblem(bytes: Uint8Array, size: number): string | null {
  const header = readSqliteHeader(bytes);
  if ("problem" in header) return `Not a SQLite database: ${header.problem}.`;
  if (size % header.pageSize !== 0) {
    return `Truncated: ${size} bytes is not a whole number of ${header.pageSize}-byte pages.`;
  }
  if (header.pageCount !== null && size < header.pageCount * header.pageSize) {
    const expected = header.pageCount * header.pageSize;
    return `Truncated: its header says ${header.pageCount} pages of ${header.pageSize} bytes (${expected} bytes), but the file has ${size} bytes.`;
  }
  return null;
}
