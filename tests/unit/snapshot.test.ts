import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { createBackup } from "../../lib/backup/create";
import { BACKUP_NAME_PATTERN } from "../../lib/backup/files";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { tempDir } from "../support/temp";

const TEST_ACTOR = { type: "SYSTEM" as const, id: "test", label: "test" };

function makeSourceDb(dir: string, rows: number) {
  const file = path.join(dir, "opstage.db");
  const db = openDatabase(file);
  enableWal(db);
  db.exec("CREATE TABLE seq (n INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO seq (n, payload) VALUES (?, ?)");
  const payload = "x".repeat(1000);
  db.transaction(() => {
    for (let n = 1; n <= rows; n++) insert.run(n, payload);
  })();
  return { file, db };
}

describe("online snapshot", () => {
  test("is consistent and complete while another connection keeps inserting", async () => {
    const dir = tempDir();
    const { file, db: writer } = makeSourceDb(dir, 60_000); // ~60 MB: the copy takes a while
    const backupDir = path.join(dir, "backups");

    // The writer commits one row per turn of the event loop for as long as the snapshot runs
    // (the snapshot itself runs in a worker thread, so this loop keeps running).
    let next = 60_001;
    let writing = true;
    let commitsDuringSnapshot = 0;
    const insert = writer.prepare("INSERT INTO seq (n, payload) VALUES (?, 'w')");
    const writerLoop = (async () => {
      while (writing) {
        insert.run(next++);
        commitsDuringSnapshot++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const backup = await createBackup({ databasePath: file, backupDir, kind: "manual", actor: TEST_ACTOR });
    await backup.finalize();
    writing = false;
    await writerLoop;

    assert.ok(commitsDuringSnapshot > 10, `the writer kept committing during the snapshot (${commitsDuringSnapshot})`);
    assert.match(backup.name, BACKUP_NAME_PATTERN);
    assert.deepEqual(readdirSync(backupDir).sort(), [backup.name, `${backup.name}.json`], "only the backup and its manifest");
    assert.equal(readFileSync(backup.path).subarray(0, 16).toString("latin1"), "SQLite format 3\0");

    const copy = new Database(backup.path, { readonly: true });
    assert.equal(copy.pragma("integrity_check", { simple: true }), "ok");
    const { count, max } = copy.prepare("SELECT count(*) AS count, max(n) AS max FROM seq").get() as {
      count: number;
      max: number;
    };
    copy.close();
    // A prefix of the writer's sequence: every row up to the snapshot's last one, no gaps.
    assert.equal(count, max, "rows 1..max with no gap");
    assert.ok(max >= 60_000, "everything committed before the snapshot started is in it");
    assert.ok(max < next - 1, "rows committed after the snapshot are not (the writer was not blocked)");
    writer.close();
  });

  test("a failed snapshot leaves nothing in the backup folder", async () => {
    const dir = tempDir();
    const backupDir = path.join(dir, "backups");
    await assert.rejects(
      createBackup({ databasePath: path.join(dir, "missing.db"), backupDir, kind: "manual", actor: TEST_ACTOR }),
      /snapshot failed/,
    );
    assert.deepEqual(readdirSync(backupDir), []);
  });
});
