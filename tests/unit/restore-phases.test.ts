// The two phases of a restore on real files (lib/backup/restore.ts): what is verified is what is
// installed; the replaced database is kept by a hard link; the report names what comes back; a
// restore keeps only the newest pre-restore backups.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { listBackups } from "../../lib/backup/catalog";
import { backupFileName, ensureDir } from "../../lib/backup/files";
import { writeManifest } from "../../lib/backup/manifest";
import { verifyBackup } from "../../lib/backup/verify";
import { installRestore, prepareRestore, PRE_RESTORE_KEEP, restoreDatabase } from "../../lib/backup/restore";
import { completeUnhashedBackups } from "../../lib/backup/start-cleanup";
import { parseConfig } from "../../lib/config";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { REPLICA_REFUSAL_ADVICE } from "../../lib/replication/point-in-time";
import { integrityOf, queryOne } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);

/** A data dir whose database holds user ann and token t1; `backup` is a copy of it made then. */
function dataDirWithBackup() {
  const dataDir = tempDir();
  const config = parseConfig({ OPSTAGE_DATA_DIR: dataDir }, "cli");
  const db = openDatabase(config.databasePath);
  applyPendingMigrations(db, shipped);
  enableWal(db);
  db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt) VALUES ('u1', 'ann', 'hash-1', 'Ann', 'owner', 'ACTIVE', CURRENT_TIMESTAMP)`,
  ).run();
  db.prepare(
    `INSERT INTO "ApiToken" (id, name, tokenHash, prefix, createdById) VALUES ('t1', 'nightly', 'h', 'opst_abcd', 'u1')`,
  ).run();
  const backup = path.join(tempDir(), "backup.db");
  db.exec(`VACUUM INTO '${backup}'`);
  return { config, db, backup };
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** `file` stored in the backup folder as a manual backup whose manifest records its sha256. */
async function storeAsBackup(config: ReturnType<typeof parseConfig>, file: string): Promise<string> {
  ensureDir(config.backupDir);
  const name = backupFileName(new Date(), "manual");
  const stored = path.join(config.backupDir, name);
  copyFileSync(file, stored);
  await writeManifest(config.backupDir, {
    name,
    kind: "manual",
    sha256: sha256(stored),
    bytes: statSync(stored).size,
    createdAt: new Date().toISOString(),
    appVersion: "test",
    lastMigration: null,
    databaseBytes: null,
    durationMs: null,
    actor: { type: "SYSTEM", id: null, label: "test" },
  });
  return stored;
}

/** A page in the middle of the file overwritten: the b-tree no longer reads. */
function damagePage(file: string): void {
  const damaged = readFileSync(file);
  damaged.fill(0xa5, 2 * 4096, 3 * 4096);
  writeFileSync(file, damaged);
}

describe("restore phases", () => {
  test("what is verified is what is installed, even when the chosen file changes afterwards", async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.close();
    const expected = sha256(backup);
    const prepared = await prepareRestore({ config, file: backup, shipped });
    assert.match(
      prepared.integrityBy,
      /^quick_check and \d+ index\(es\) summed against their tables on 2 threads during the restore$/,
      "a file with no manifest: the full check",
    );
    assert.equal(prepared.verification.sha256, expected);
    writeFileSync(backup, "replaced by something else after it was chosen ".repeat(200));
    const report = await installRestore({ config, prepared, keepSettings: false });
    assert.equal(report.sha256, expected);
    assert.equal(sha256(config.databasePath), expected, "the installed bytes are the verified bytes");
    assert.equal(integrityOf(config.databasePath), "ok");
  });

  test("a stored backup whose proof passed is installed after one pass (the copy): no check reads it again", async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.close();
    const stored = await storeAsBackup(config, backup);
    const proof = await verifyBackup(config.backupDir, path.basename(stored), shipped);
    assert.equal(proof.restorable, true, proof.detail);
    const prepared = await prepareRestore({ config, file: stored, shipped });
    assert.equal(prepared.phasesMs.checkMs, 0, "no quick_check ran beside the copy");
    assert.equal(prepared.integrityBy, `integrity_check by the backup's proof of ${proof.at} (same sha256)`);
    assert.equal(prepared.verification.sha256, sha256(stored));
    const report = await installRestore({ config, prepared, keepSettings: true });
    assert.equal(sha256(config.databasePath), sha256(stored), "the installed bytes are the proven bytes");
    assert.equal(integrityOf(config.databasePath), "ok");
    assert.ok(report.phasesMs.copyMs > 0 && report.phasesMs.swapMs !== undefined, JSON.stringify(report.phasesMs));
    assert.equal(report.integrityBy, prepared.integrityBy, "the marker (and so the audit) says what proved it");
  });

  test("a proven backup damaged after its proof is refused: its sha256 no longer matches the manifest", async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.close();
    const stored = await storeAsBackup(config, backup);
    assert.equal((await verifyBackup(config.backupDir, path.basename(stored), shipped)).restorable, true);
    damagePage(stored);
    const before = sha256(config.databasePath);
    await assert.rejects(prepareRestore({ config, file: stored, shipped }), /does not match the manifest/);
    assert.equal(sha256(config.databasePath), before, "the live database is untouched");
  });

  test("an unproven stored backup gets quick_check beside the copy, which refuses a damaged one", async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.close();
    damagePage(backup);
    // Its manifest's sha256 is that of the damaged bytes: only the check can tell.
    const stored = await storeAsBackup(config, backup);
    const before = sha256(config.databasePath);
    await assert.rejects(prepareRestore({ config, file: stored, shipped }), /quick_check failed/);
    assert.equal(sha256(config.databasePath), before, "the live database is untouched");
  });

  test("a replica's moment is adopted: checked where Litestream wrote it and installed by a rename, not copied", async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.close();
    const moment = path.join(config.dataDir, ".tmp-pitr-0001.db");
    copyFileSync(backup, moment);
    const inode = statSync(moment).ino;
    const prepared = await prepareRestore({ config, file: moment, shipped, label: "replica", adopt: true });
    assert.equal(prepared.temp, moment);
    assert.match(prepared.integrityBy, /^quick_check and \d+ index\(es\) summed against their tables/);
    const report = await installRestore({ config, prepared, keepSettings: true });
    assert.equal(statSync(config.databasePath).ino, inode, "the very file checked is the one in place");
    assert.equal(report.sha256, sha256(backup));
    assert.equal(existsSync(moment), false);
    await assert.rejects(
      prepareRestore({ config, file: backup, shipped, adopt: true }),
      /Only a file in .* can be restored without a copy/,
    );
  });

  test("a refused replica restore names the moment, not its temp file, says what to do, and removes the file", async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.close();
    // A page in the middle of the file overwritten: the b-tree no longer reads.
    const damaged = readFileSync(backup);
    damaged.fill(0xa5, 2 * 4096, 3 * 4096);
    const moment = path.join(config.dataDir, ".tmp-pitr-0002.db");
    writeFileSync(moment, damaged);
    const before = sha256(config.databasePath);
    await assert.rejects(
      prepareRestore({
        config,
        file: moment,
        shipped,
        label: "replica the folder /mnt/replica as of 2026-11-27T09:00:00.000Z",
        refusalAdvice: REPLICA_REFUSAL_ADVICE,
        adopt: true,
      }),
      (error: Error) => {
        assert.match(
          error.message,
          /^Refusing to restore replica the folder \/mnt\/replica as of 2026-11-27T09:00:00\.000Z: /,
        );
        assert.ok(!error.message.includes(moment), error.message);
        assert.match(
          error.message,
          /Nothing was changed\. Litestream restored that moment, .* try a moment a few seconds earlier or later/,
        );
        return true;
      },
    );
    assert.equal(sha256(config.databasePath), before, "the live database is untouched");
    assert.equal(existsSync(moment), false, "the refused file is removed");
  });

  test("the replaced database is kept by a hard link (no copy), and the report names the token that works again", async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.prepare(`UPDATE "ApiToken" SET revokedAt = CURRENT_TIMESTAMP WHERE id = 't1'`).run();
    db.prepare(`UPDATE "User" SET passwordHash = 'hash-2' WHERE id = 'u1'`).run();
    db.close();
    const liveInode = statSync(config.databasePath).ino;
    const report = await restoreDatabase({ config, file: backup, shipped });
    const kept = path.join(config.backupDir, report.preRestore!);
    assert.equal(statSync(kept).ino, liveInode, "the pre-restore backup is the replaced file itself");
    assert.equal(queryOne<{ n: number }>(kept, `SELECT count(*) AS n FROM ApiToken WHERE revokedAt IS NOT NULL`).n, 1);
    assert.deepEqual(report.changes?.tokens, [{ id: "t1", name: "nightly", prefix: "opst_abcd", was: "revoked" }]);
    assert.deepEqual(report.changes?.users, [{ username: "ann", changes: ["password"] }]);
    const manifest = () => JSON.parse(readFileSync(`${kept}.json`, "utf8")) as { sha256: string | null; kind: string };
    assert.equal(manifest().kind, "pre-restore");
    // Not hashed by the restore (a second pass over the file): by the server's next start.
    assert.equal(manifest().sha256, null);
    await completeUnhashedBackups(config.backupDir, () => {});
    assert.equal(manifest().sha256, sha256(kept), "hashed at the next start");
  });

  test(`each restore keeps the newest ${PRE_RESTORE_KEEP} pre-restore backups`, async () => {
    const { config, db, backup } = dataDirWithBackup();
    db.close();
    const kept: string[] = [];
    for (let i = 0; i < PRE_RESTORE_KEEP + 2; i++) {
      const report = await restoreDatabase({ config, file: backup, shipped });
      kept.push(report.preRestore!);
      // Backup names are stamped to the millisecond: the next restore starts in a later one.
      for (const now = Date.now(); Date.now() === now;) await new Promise((resolve) => setImmediate(resolve));
    }
    const left = listBackups(config.backupDir)
      .filter((entry) => entry.kind === "pre-restore")
      .map((entry) => entry.name);
    assert.deepEqual(left.sort(), kept.slice(-PRE_RESTORE_KEEP).sort());
  });
});
