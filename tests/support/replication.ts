// Helpers for the replication tests: a writer process committing numbered rows, the generations
// in a `file` replica, and conditions awaited without fixed sleeps.
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  context: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The generation folders of a `file` replica (Litestream v0.3 layout: <path>/generations/<id>). */
export function fileReplicaGenerations(replicaDir: string): string[] {
  const dir = path.join(replicaDir, "generations");
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The newest modification time (ms) among a replica's files: when Litestream last wrote to it. */
export function newestReplicaWrite(replicaDir: string): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  if (existsSync(replicaDir)) walk(replicaDir);
  return newest;
}

/** A row's number, when its INSERT started and when its commit returned (epoch ms). */
export type Commit = [n: number, startedAt: number, committedAt: number];
export type RowWriter = { process: ChildProcess; stop: () => Promise<{ commits: Commit[]; errors: number }> };

/** Starts tests/support/row-writer.cjs on the database; resolves once it runs. */
export async function startRowWriter(dbFile: string, prefix: string, intervalMs = 5): Promise<RowWriter> {
  const child = fork(
    path.join(__dirname, "row-writer.cjs"),
    [require.resolve("better-sqlite3"), dbFile, prefix, String(intervalMs)],
    {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    void exited.then((code) => reject(new Error(`writer exited with ${code}: ${stderr}`)));
  });
  return {
    process: child,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      return JSON.parse(stdout) as { commits: Commit[]; errors: number };
    },
  };
}

/** The numbers of the writer's rows in a database file. */
export function rowNumbers(dbFile: string, prefix: string): number[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT id FROM AuditEvent WHERE id LIKE ?").all(`${prefix}-%`) as { id: string }[];
    return rows.map((row) => Number(row.id.slice(prefix.length + 1))).sort((a, b) => a - b);
  } finally {
    db.close();
  }
}

/**
 * Point-in-time exactness: the rows restored to moment T are a prefix of the commit log (0…k
 * with no gap), hold every row committed before T − bound and none committed after T.
 */
export function assertRestoredPrefix(present: number[], commits: Commit[], at: number, boundMs: number): void {
  present.forEach((n, index) =>
    assert.equal(n, index, `restored rows are a prefix of the commit log (gap at ${index})`),
  );
  const restored = new Set(present);
  for (const [n, startedAt, committedAt] of commits) {
    if (committedAt < at - boundMs)
      assert.ok(restored.has(n), `row ${n}, committed ${at - committedAt} ms before T, is restored`);
    if (startedAt > at) assert.ok(!restored.has(n), `row ${n}, started ${startedAt - at} ms after T, is not restored`);
  }
}

export function readPid(file: string): number | null {
  try {
    return Number(readFileSync(file, "utf8").trim()) || null;
  } catch {
    return null;
  }
}
