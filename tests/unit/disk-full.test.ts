// A backup on a disk that fills up: a real tmpfs of a few MB (this needs root, as CI runs), not an
// injected error. Whatever step runs out of space, the outcome is one of two: the backup under
// its final name with a complete manifest, or an error and nothing under a final name.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, statfsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { createBackup } from "../../lib/backup/create";
import { checkpointTruncate, enableWal, openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { integrityOf } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);
const ACTOR = { type: "SYSTEM" as const, id: "test", label: "test" };
const mounts: string[] = [];

after(() => {
  // Lazy: this process keeps a descriptor on the database file it snapshotted (database-file.ts).
  for (const dir of mounts) execFileSync("umount", ["--lazy", dir]);
});

function smallDisk(megabytes: number): string {
  const dir = tempDir("opstage-tmpfs-");
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir]);
  mounts.push(dir);
  return dir;
}

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

/** Fills `dir`'s file system until exactly `leave` bytes are free. */
function fillUntil(dir: string, leave: number): void {
  writeFileSync(path.join(dir, "filler"), Buffer.alloc(freeBytes(dir) - leave));
  assert.equal(freeBytes(dir), leave, "the filler leaves exactly what the test needs");
}

/** An Opstage database with ~`rows` × 4 KB of data; with `appendInWal`, the last rows only in its WAL. */
function database(dir: string, rows: number, appendInWal = 0) {
  const databasePath = path.join(dir, "opstage.db");
  const db = openDatabase(databasePath);
  applyPendingMigrations(db, shipped);
  enableWal(db);
  db.pragma("wal_autocheckpoint = 0");
  const insert = db.prepare(
    `INSERT INTO AuditEvent (id, actorType, action, result, metadataJson, createdAt) VALUES (?, 'SYSTEM', 'fill', 'SUCCESS', ?, CURRENT_TIMESTAMP)`,
  );
  const fill = (from: number, to: number) =>
    db.transaction(() => {
      for (let i = from; i < to; i++) insert.run(`row-${i}`, "x".repeat(4000));
    })();
  fill(0, rows);
  checkpointTruncate(db);
  fill(rows, rows + appendInWal);
  return { databasePath, db };
}

function finalNames(backupDir: string): string[] {
  return readdirSync(backupDir).filter((name) => name !== "filler");
}

describe("a backup on a disk that fills up", () => {
  test("no room left for the manifest: an error, and no file under a final name", async () => {
    const { databasePath, db } = database(tempDir(), 300);
    const backupDir = smallDisk(8);
    const needed = (db.pragma("page_count", { simple: true }) as number) * 4096;
    fillUntil(backupDir, needed); // room for the copy, none for its manifest
    await assert.rejects(createBackup({ databasePath, backupDir, kind: "manual", actor: ACTOR }), (error: Error) => {
      assert.equal(error.name, "DiskFullError");
      assert.match(error.message, /ran out of space while the backup was being written; nothing was kept/);
      return true;
    });
    assert.deepEqual(finalNames(backupDir), [], "no backup, no manifest, no temp file");
    db.close();
  });

  test("the copy itself runs out of space (backups beside the database, as by default): an error, nothing kept, the database intact", async () => {
    const dataDir = smallDisk(12);
    const { databasePath, db } = database(dataDir, 300, 300);
    const backupDir = path.join(dataDir, "backups");
    // The space check passes (database + WAL fit), but the checkpoint before the copy moves the
    // WAL's new pages into the database file, which then needs that room a second time.
    const needed = statSync(databasePath).size + statSync(`${databasePath}-wal`).size;
    fillUntil(dataDir, Math.ceil(needed / 4096) * 4096);
    await assert.rejects(createBackup({ databasePath, backupDir, kind: "manual", actor: ACTOR }), (error: Error) => {
      assert.equal(error.name, "DiskFullError", error.message);
      return true;
    });
    assert.deepEqual(readdirSync(backupDir), [], "no backup, no manifest, no temp file");
    assert.equal(
      (db.prepare("SELECT count(*) AS n FROM AuditEvent WHERE action = 'fill'").get() as { n: number }).n,
      600,
    );
    db.close();
    assert.equal(integrityOf(databasePath), "ok");
  });
});
