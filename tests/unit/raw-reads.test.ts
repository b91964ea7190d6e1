// The raw reads (lib/db/raw-reads.ts) obey the database lease as Prisma's queries do:
// outside a lease they wait for a restore under way; inside one (a request) they answer even
// while a restore waits for that request to finish.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { withExclusiveLease, withSharedLease } from "../../lib/db/lease";
import { anyUserExists, readSystemSetting } from "../../lib/db/raw-reads";
import { migratedDataDir } from "../support/migrations";
import { deferred } from "../support/deferred";

migratedDataDir();

describe("start-up reads and the database lease", () => {
  test("outside a lease, a read waits for the restore under way, then answers", async () => {
    const restoreMayEnd = deferred();
    const restore = withExclusiveLease(() => restoreMayEnd.promise);
    let settled = false;
    const read = readSystemSetting<{ a: number }>("k").finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(settled, false, "the read waits while the restore holds the database");
    restoreMayEnd.resolve();
    await restore;
    assert.deepEqual(await read, { a: 1 });
  });

  test("inside a request's lease, reads answer while a restore waits for the request", async () => {
    const requestStarted = deferred();
    const goOn = deferred();
    const request = withSharedLease(async () => {
      requestStarted.resolve();
      await goOn.promise;
      return { setting: await readSystemSetting<{ a: number }>("k"), anyUser: await anyUserExists() };
    });
    await requestStarted.promise;
    const restore = withExclusiveLease(async () => "swapped");
    goOn.resolve();
    assert.deepEqual(await request, { setting: { a: 1 }, anyUser: false });
    assert.equal(await restore, "swapped");
  });
});
