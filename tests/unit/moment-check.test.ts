// A checked moment that a comparison is reading (the restore dialog's preview) is kept for it:
// the sweeper leaves it alone past its expiry, and a cancel removes the check at once but its
// file only when the comparison lets go. Real files in a temp data folder; the check's record is
// written as checkMoment writes it (the Litestream restore behind a real check is covered by
// tests/http/replication.test.ts).
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parseConfig } from "../../lib/config";
import {
  cancelMomentCheck,
  claimMomentCheck,
  readMomentCheck,
  sweepExpiredMomentChecks,
} from "../../lib/replication/moment-check";
import { tempDir } from "../support/temp";

const HOUR = 3_600_000;

function checkedMoment(expiresInMs = HOUR) {
  const dataDir = tempDir();
  const config = parseConfig({ OPSTAGE_SESSION_SECRET: "s".repeat(32), OPSTAGE_DATA_DIR: dataDir });
  const checkId = "0123456789abcdef0123456789abcdef";
  const file = path.join(dataDir, ".tmp-restore-checked.db");
  writeFileSync(file, "the checked copy");
  const record = path.join(dataDir, `.tmp-moment-check-${checkId}.json`);
  writeFileSync(
    record,
    JSON.stringify({
      checkId,
      moment: "2026-12-07T10:00:00.000Z",
      requested: "2026-12-07T10:00:00.000Z",
      replicaLabel: "the folder /r",
      generation: null,
      verification: { restorable: true, detail: "Restorable into this version" },
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
      file: path.basename(file),
      label: "replica the folder /r as of 2026-12-07T10:00:00.000Z",
    }),
  );
  return { config, checkId, file, record };
}

describe("a checked moment being compared", () => {
  test("is not swept while read, even expired; swept at the first sweep after", () => {
    const { config, checkId, file, record } = checkedMoment();
    const reading = readMomentCheck(config, checkId);
    assert.equal(reading.path, file);
    assert.equal(reading.label, "replica the folder /r as of 2026-12-07T10:00:00.000Z");
    assert.deepEqual(sweepExpiredMomentChecks(config, Date.now() + 2 * HOUR), []);
    assert.ok(existsSync(file) && existsSync(record));
    reading.release();
    reading.release(); // a second release changes nothing
    assert.deepEqual(sweepExpiredMomentChecks(config, Date.now() + 2 * HOUR), [checkId]);
    assert.ok(!existsSync(file) && !existsSync(record));
  });

  test("cancelled while read: the check is gone at once, its file when the comparison lets go", () => {
    const { config, checkId, file, record } = checkedMoment();
    const first = readMomentCheck(config, checkId);
    const second = readMomentCheck(config, checkId);
    assert.equal(cancelMomentCheck(config, checkId), true);
    assert.ok(!existsSync(record), "the check is gone");
    assert.throws(() => claimMomentCheck(config, checkId), /no checked moment/);
    assert.throws(
      () => readMomentCheck(config, checkId),
      /no checked moment .*Check the moment again, then compare it/,
    );
    first.release();
    assert.ok(existsSync(file), "kept while another comparison reads it");
    second.release();
    assert.ok(!existsSync(file), "removed once nobody reads it");
  });

  test("an expired check is refused, and removed, with what to do", () => {
    const { config, checkId, file, record } = checkedMoment(-1000);
    assert.throws(
      () => readMomentCheck(config, checkId),
      /expired and was removed\. Check the moment again, then compare it/,
    );
    assert.ok(!existsSync(file) && !existsSync(record));
  });
});
