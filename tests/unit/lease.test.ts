// The database lease (lib/db/lease.ts): a restore waits for the users inside, new users wait for
// the restore, and nobody deadlocks on their own lease.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  acquireSharedLease,
  exclusiveSince,
  LeaseBusyError,
  MaintenanceError,
  withExclusiveLease,
  withSharedLease,
} from "../../lib/db/lease";
import { deferred } from "../support/deferred";

describe("database lease", () => {
  test("the exclusive lease starts only when the shared ones inside have ended", async () => {
    const events: string[] = [];
    const inside = deferred();
    const request = withSharedLease(async () => {
      events.push("request in");
      await inside.promise;
      events.push("request out");
    });
    const restore = withExclusiveLease(async () => {
      events.push("restore");
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ["request in"], "the restore waits");
    assert.notEqual(exclusiveSince(), null, "and says a restore is under way meanwhile");
    inside.resolve();
    await Promise.all([request, restore]);
    assert.deepEqual(events, ["request in", "request out", "restore"]);
    assert.equal(exclusiveSince(), null);
  });

  test("new shared leases wait for the exclusive one, and get MaintenanceError past their wait", async () => {
    const swap = deferred();
    const restore = withExclusiveLease(() => swap.promise);
    const events: string[] = [];
    const patient = withSharedLease(async () => void events.push("patient"), 5_000);
    await assert.rejects(acquireSharedLease(20), MaintenanceError);
    assert.deepEqual(events, []);
    swap.resolve();
    await Promise.all([restore, patient]);
    assert.deepEqual(events, ["patient"]);
  });

  test("inside a lease, more leases are free: a request's second query never queues behind a waiting restore", async () => {
    const order: string[] = [];
    const first = deferred();
    const request = withSharedLease(async () => {
      await first.promise;
      const release = await acquireSharedLease(50); // would time out if it queued behind the restore
      release();
      order.push("request done");
    });
    const restore = withExclusiveLease(async () => void order.push("restore"));
    first.resolve();
    await Promise.all([request, restore]);
    assert.deepEqual(order, ["request done", "restore"]);
    // The restore's own flow may use the database while it holds the lease.
    await withExclusiveLease(() => withSharedLease(async () => void order.push("inside the restore")));
    assert.equal(order.at(-1), "inside the restore");
  });

  test("a second exclusive lease is refused; one that cannot drain gives up having changed nothing", async () => {
    const swap = deferred();
    const restore = withExclusiveLease(() => swap.promise);
    await assert.rejects(
      withExclusiveLease(async () => {}),
      LeaseBusyError,
    );
    swap.resolve();
    await restore;

    const stuck = deferred();
    const request = withSharedLease(() => stuck.promise);
    let ran = false;
    await assert.rejects(
      withExclusiveLease(async () => void (ran = true), 30),
      LeaseBusyError,
    );
    assert.equal(ran, false);
    assert.equal(exclusiveSince(), null, "new requests are not held back any more");
    await withSharedLease(async () => {}, 10);
    stuck.resolve();
    await request;
  });
});
