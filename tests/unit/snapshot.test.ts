import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { createBackup } from "../../lib/backup/create";
import { BACKUP_NAME_PATTERN } from "../../lib/backup/files";
import { snapshotDatabase } from "../../lib/backup/worker";
import type { CheckpointRow } from "../../lib/backup/worker-tasks";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { integrityOf, queryOne, SQLITE_MAGIC } from "../support/db";
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

function backUp(databasePath: string, backupDir: string) {
  return createBackup({ databasePath, backupDir, kind: "manual", actor: TEST_ACTOR });
}

/**
 * Checks that a copy is sound and holds a prefix of the writer's sequence: every row up to the
 * snapshot's last one, no gaps, and at least the `before` rows committed before it started.
 * Returns the last row.
 */
function assertWholePrefix(copy: string, before: number): number {
  assert.equal(integrityOf(copy), "ok");
  const { count, max } = queryOne<{ count: number; max: number }>(
    copy,
    "SELECT count(*) AS count, max(n) AS max FROM seq",
  );
  assert.equal(count, max, "rows 1..max with no gap");
  assert.ok(max >= before, "everything committed before the snapshot started is in it");
  return max;
}

/**
 * Calls commit() once per turn of the event loop until stop() (the snapshot runs in a worker
 * thread, so this keeps running meanwhile); stop() resolves to the number of commits.
 */
function keepCommitting(commit: () => void) {
  let writing = true;
  let commits = 0;
  const loop = (async () => {
    while (writing) {
      commit();
      commits++;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    stop: async () => {
      writing = false;
      await loop;
      return commits;
    },
  };
}

/** How much of a file is in the page cache, in bytes (util-linux fincore). */
function residentBytes(file: string): number {
  return Number(execFileSync("fincore", ["--bytes", "--noheadings", "--output", "RES", file]).toString().trim());
}

/** Drops a file's clean pages from the page cache (GNU dd: posix_fadvise DONTNEED on the whole file). */
function dropFromPageCache(file: string): void {
  execFileSync("dd", [`if=${file}`, "iflag=nocache", "count=0", "status=none"]);
}

describe("online snapshot", () => {
  test("is consistent and complete while another connection keeps inserting", async () => {
    const dir = tempDir();
    const { file, db: writer } = makeSourceDb(dir, 60_000); // ~60 MB: the copy takes a while
    const backupDir = path.join(dir, "backups");

    // The writer commits one row per turn of the event loop for as long as the snapshot runs.
    let next = 60_001;
    const insert = writer.prepare("INSERT INTO seq (n, payload) VALUES (?, 'w')");
    const writing = keepCommitting(() => insert.run(next++));
    const backup = await backUp(file, backupDir);
    const commitsDuringSnapshot = await writing.stop();

    assert.ok(commitsDuringSnapshot > 10, `the writer kept committing during the snapshot (${commitsDuringSnapshot})`);
    assert.equal(backup.snapshotMethod, "file-copy");
    assert.match(backup.name, BACKUP_NAME_PATTERN);
    assert.deepEqual(
      readdirSync(backupDir).sort(),
      [backup.name, `${backup.name}.json`],
      "only the backup and its manifest",
    );
    assert.equal(readFileSync(backup.path).subarray(0, 16).toString("latin1"), SQLITE_MAGIC);

    const max = assertWholePrefix(backup.path, 60_000);
    assert.ok(max < next - 1, "rows committed after the snapshot are not (the writer was not blocked)");
    writer.close();
  });

  test("the file copy is one moment of the database while the writer checkpoints after every commit", async () => {
    // The danger for a file copy: a checkpoint writing newer pages into opstage.db while it is
    // read. Checkpointing after every commit, while rewriting rows all over the file, is the
    // worst case. Each transaction t appends row t, rewrites row rowFor(t) to 'u<t>' and sets
    // meta.last = t; a copy of one moment T has rows 1..T and, for every rewritten row, the
    // payload of the last t <= T that rewrote it.
    const dir = tempDir();
    const rows = 60_000;
    const { file, db: writer } = makeSourceDb(dir, rows);
    writer.exec("CREATE TABLE meta (id INTEGER PRIMARY KEY, last INTEGER NOT NULL); INSERT INTO meta VALUES (1, 0)");
    writer.pragma("wal_autocheckpoint = 1");
    const rowFor = (t: number) => ((t * 7919) % rows) + 1;
    const append = writer.prepare("INSERT INTO seq (n, payload) VALUES (?, 'w')");
    const rewrite = writer.prepare("UPDATE seq SET payload = ? WHERE n = ?");
    const setLast = writer.prepare("UPDATE meta SET last = ? WHERE id = 1");
    let t = 0;
    const writing = keepCommitting(
      writer.transaction(() => {
        t++;
        append.run(rows + t);
        rewrite.run(`u${t}`, rowFor(t));
        setLast.run(t);
      }),
    );
    const backups = [];
    for (let i = 0; i < 3; i++) backups.push(await backUp(file, path.join(dir, "backups")));
    await writing.stop();
    writer.close();

    for (const backup of backups) {
      assert.equal(backup.snapshotMethod, "file-copy");
      assert.equal(integrityOf(backup.path), "ok");
      const copy = new Database(backup.path, { readonly: true });
      const last = copy.prepare("SELECT last FROM meta").pluck().get() as number;
      const { count, max } = copy.prepare("SELECT count(*) AS count, max(n) AS max FROM seq").get() as {
        count: number;
        max: number;
      };
      assert.equal(max, rows + last, `${backup.name}: meta.last and the last appended row are from the same moment`);
      assert.equal(count, max, "no gap");
      const expected = new Map<number, string>();
      for (let u = 1; u <= last; u++) expected.set(rowFor(u), `u${u}`);
      const payloadOf = copy.prepare("SELECT payload FROM seq WHERE n = ?").pluck();
      for (const [n, payload] of expected) assert.equal(payloadOf.get(n), payload, `${backup.name}: row ${n}`);
      copy.close();
    }
    assert.ok(t > 50, `the writer kept committing (${t} transactions)`);
  });

  test("during the file copy a writer's checkpoints stop at the copy's read mark, even when it starts on a quiet database", async () => {
    // A read that starts with every WAL frame in the file takes SQLite's read lock 0; while it is
    // held, each checkpoint (SQLite tries one after every commit once the WAL passes 1000 pages)
    // first sorts the whole WAL and then gives up, and checkpointed stays 0. The copy's read must
    // hold a read mark instead: checkpoints then stop at it (checkpointed > 0, the frames up to
    // the mark) without sorting anything. A quiet, fully checkpointed database is the case where
    // the read would get lock 0 unless the snapshot commits a frame first.
    const dir = tempDir();
    const { file, db: writer } = makeSourceDb(dir, 100_000);
    writer.pragma("wal_autocheckpoint = 0");
    writer.pragma("wal_checkpoint(TRUNCATE)");
    let next = 100_001;
    const insert = writer.prepare("INSERT INTO seq (n, payload) VALUES (?, 'w')");
    const heldBack: CheckpointRow[] = [];
    // The writer starts once the copy has, its read transaction open: the database is then quiet
    // when the read begins, whatever the timing. (A writer running before it leaves an unfolded
    // frame of its own now and then, and the read gets a mark without the snapshot's help; or its
    // checkpoint folds the snapshot's frame just before the read, and the read gets lock 0.)
    let writing: ReturnType<typeof keepCommitting> | undefined;
    const startWriting = () => {
      writing ??= keepCommitting(() => {
        insert.run(next++);
        const [result] = writer.pragma("wal_checkpoint(PASSIVE)") as CheckpointRow[];
        // busy: the snapshot's own checkpoint was running. log > checkpointed: frames held back.
        if (result && result.busy === 0 && result.log > result.checkpointed) heldBack.push(result);
      });
    };
    const backup = await createBackup({
      databasePath: file,
      backupDir: path.join(dir, "backups"),
      kind: "manual",
      actor: TEST_ACTOR,
      observer: { started: startWriting, copied: () => {} },
    });
    assert.ok(writing, "the copy started");
    await writing.stop();
    writer.close();

    assert.equal(backup.snapshotMethod, "file-copy");
    assert.ok(heldBack.length >= 3, `the writer checkpointed while the copy held WAL frames back (${heldBack.length})`);
    const stoppedAtZero = heldBack.filter((result) => result.checkpointed === 0);
    assert.deepEqual(stoppedAtZero, [], "no checkpoint during the copy was stopped by read lock 0");
    assertWholePrefix(backup.path, 100_000);
  });

  test("the copy brings the WAL file back into memory, so that writers reusing it read nothing from disk", async () => {
    // A WAL file keeps its size after a checkpoint, and writers later write over its old frames:
    // a 24-byte header and a page at a time, so every page of the file they write into must be
    // in memory or be read from disk first (from a disk the copy keeps busy). As the copy
    // starts, the snapshot reads the whole WAL file once.
    const dir = tempDir();
    const { file, db: writer } = makeSourceDb(dir, 20_000); // one transaction: a ~20 MB WAL
    writer.pragma("wal_checkpoint(PASSIVE)"); // folded into the file; the WAL keeps its size
    const wal = `${file}-wal`;
    const walBytes = statSync(wal).size;
    assert.ok(walBytes > 16 * 1024 * 1024, `the WAL file is large (${walBytes} bytes)`);
    dropFromPageCache(wal);
    assert.ok(
      residentBytes(wal) < walBytes / 4,
      "the WAL file's pages left memory (a filesystem that ignores posix_fadvise DONTNEED, like tmpfs, cannot run this test)",
    );

    const backup = await backUp(file, path.join(dir, "backups"));
    const resident = residentBytes(wal); // before the last connection closes and removes the file
    writer.close();

    assert.equal(backup.snapshotMethod, "file-copy");
    assert.ok(resident > walBytes * 0.9, `the WAL file is in memory again (${resident} of ${walBytes} bytes)`);
  });

  test("a snapshot keeps the SQLite locks this process holds on the database", async () => {
    // POSIX locks belong to the process: closing any descriptor of the file would drop the
    // server's SHARED lock (the range starting at 0x40000002) without a word.
    const dir = tempDir();
    const { file, db: server } = makeSourceDb(dir, 100);
    server.prepare("SELECT count(*) FROM seq").get();
    const { ino } = statSync(file);
    const sharedLockHeld = () =>
      readFileSync("/proc/locks", "utf8")
        .split("\n")
        .some((line) =>
          new RegExp(`POSIX\\s+ADVISORY\\s+READ\\s+${process.pid}\\s+\\S+:${ino}\\s+1073741826\\s`).test(line),
        );
    assert.ok(sharedLockHeld(), "the connection holds SHARED on opstage.db before the snapshot");
    for (let i = 0; i < 2; i++) {
      const backup = await backUp(file, path.join(dir, "backups"));
      assert.equal(backup.snapshotMethod, "file-copy");
      assert.ok(sharedLockHeld(), `the connection still holds SHARED on opstage.db after snapshot ${i + 1}`);
    }
    server.close();
  });

  test("after a restore renamed another file over the database, the copy is of the new file", async () => {
    // The descriptor the copy reads through is held open across snapshots (lib/db/database-file.ts):
    // it must follow the path to the new file, or the copy would be the replaced file's bytes.
    const dir = tempDir();
    const { file, db: before } = makeSourceDb(dir, 100);
    before.close();
    const backupDir = path.join(dir, "backups");
    const first = await backUp(file, backupDir);

    const other = makeSourceDb(tempDir(), 250);
    other.db.close();
    renameSync(other.file, file);
    const second = await backUp(file, backupDir);

    for (const [backup, rows] of [
      [first, 100],
      [second, 250],
    ] as const) {
      assert.equal(backup.snapshotMethod, "file-copy");
      assert.equal(integrityOf(backup.path), "ok");
      assert.equal(queryOne<{ n: number }>(backup.path, "SELECT count(*) AS n FROM seq").n, rows);
    }
  });

  test("falls back to the backup API when an older reader keeps the WAL out of the file", async () => {
    const dir = tempDir();
    const { file, db: writer } = makeSourceDb(dir, 100);
    const reader = openDatabase(file);
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM seq").get(); // a snapshot at 100 rows, held open
    writer.prepare("INSERT INTO seq (n, payload) VALUES (101, 'after the reader')").run();
    const backup = await backUp(file, path.join(dir, "backups"));
    reader.exec("COMMIT");
    assert.equal(backup.snapshotMethod, "backup-api");
    assert.match(backup.snapshotFallbackReason ?? "", /older reader kept \d+ WAL frame/, "the manifest says why");
    assert.equal(integrityOf(backup.path), "ok");
    assert.equal(
      queryOne<{ n: number }>(backup.path, "SELECT count(*) AS n FROM seq").n,
      101,
      "the newest commit is in the copy",
    );
    reader.close();
    writer.close();
  });

  test("a write transaction held past the busy timeout: the backup API copies instead, and the result says why", async () => {
    const dir = tempDir();
    const { file, db: writer } = makeSourceDb(dir, 100);
    writer.exec("BEGIN IMMEDIATE");
    writer.prepare("INSERT INTO seq (n, payload) VALUES (101, 'not committed')").run();
    const copy = path.join(dir, "copy.db");
    const result = await snapshotDatabase(file, copy, { busyTimeoutMs: 100 });
    writer.exec("ROLLBACK");
    writer.close();
    assert.equal(result.method, "backup-api");
    assert.match(result.fallbackReason ?? "", /could not start: database is locked/);
    assert.equal(integrityOf(copy), "ok");
    assert.equal(queryOne<{ n: number }>(copy, "SELECT count(*) AS n FROM seq").n, 100, "the committed rows only");
  });

  test("a failed snapshot leaves nothing in the backup folder", async () => {
    const dir = tempDir();
    const backupDir = path.join(dir, "backups");
    await assert.rejects(backUp(path.join(dir, "missing.db"), backupDir), /snapshot failed/);
    assert.deepEqual(readdirSync(backupDir), []);
  });
});
