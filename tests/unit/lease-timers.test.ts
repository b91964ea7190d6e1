// A flow holds a lease only while that lease is unreleased (lib/db/lease.ts). AsyncLocalStorage
// hands a request's store to every timer armed inside it — croner re-arms its jobs with
// setTimeout — so a job armed while a request was served runs long after the request let go of
// its lease: it must hold nothing then, and wait for a restore like any other user.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cron } from "croner";
import { acquireSharedLease, insideLease, withExclusiveLease, withSharedLease } from "../../lib/db/lease";
import { getPrisma } from "../../lib/db/prisma";
import { readSystemSetting } from "../../lib/db/raw-reads";
import { deferred } from "../support/deferred";
import { migratedDataDir } from "../support/migrations";

migratedDataDir();

/** Long enough for a query that does not wait to have answered (each takes about a millisecond). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe("timers armed inside a request's lease", () => {
  test("a croner job armed in a request runs after it, holds no lease, and its queries wait for a pending restore", async () => {
    const fired = deferred();
    const events: string[] = [];
    let jobWork: Promise<void> | undefined;
    let job: Cron | undefined;
    // The request: arms the job (as PUT /api/admin/backup-schedule does) and ends.
    await withSharedLease(async () => {
      job = new Cron("* * * * * *", { maxRuns: 1 }, () => {
        events.push(insideLease() ? "job holds a lease" : "job holds nothing");
        jobWork = (async () => {
          await readSystemSetting("k");
          events.push("job read (raw)");
          await getPrisma().systemSetting.findUnique({ where: { key: "k" } });
          events.push("job read (Prisma)");
        })();
        fired.resolve();
      });
    });
    // A restore that holds the exclusive lease until told to end.
    const restoreMayEnd = deferred();
    const restore = withExclusiveLease(async () => {
      events.push("restore swaps");
      await restoreMayEnd.promise;
      events.push("restore done");
    });
    await fired.promise;
    await settle();
    assert.deepEqual(events, ["restore swaps", "job holds nothing"], "the job's queries wait for the restore");
    restoreMayEnd.resolve();
    await restore;
    await jobWork;
    job?.stop();
    assert.deepEqual(events, [
      "restore swaps",
      "job holds nothing",
      "restore done",
      "job read (raw)",
      "job read (Prisma)",
    ]);
  });

  test("a timer armed in a request that is still running shares its lease: no deadlock behind a waiting restore", async () => {
    const events: string[] = [];
    const request = withSharedLease(async () => {
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          events.push(insideLease() ? "timer holds the request's lease" : "timer holds nothing");
          void readSystemSetting("k").then(() => resolve());
        }, 20),
      );
      events.push("request done");
    });
    const restore = withExclusiveLease(async () => void events.push("restore"));
    await Promise.all([request, restore]);
    assert.deepEqual(events, ["timer holds the request's lease", "request done", "restore"]);
  });

  test("database work a request starts and does not await keeps the request's lease until it ends", async () => {
    const events: string[] = [];
    const workMayEnd = deferred();
    const queryMayEnd = deferred();
    let work: Promise<void> | undefined;
    let query: Promise<void> | undefined;
    await withSharedLease(async () => {
      work = withSharedLease(async () => {
        events.push("work in");
        await workMayEnd.promise;
        events.push("work out");
      });
      query = acquireSharedLease().then(async (release) => {
        await queryMayEnd.promise;
        release();
      });
    });
    // The request has ended; what it started has not: a restore waits for both.
    const restore = withExclusiveLease(async () => void events.push("restore"));
    await settle();
    assert.deepEqual(events, ["work in"]);
    workMayEnd.resolve();
    await work;
    await settle();
    assert.deepEqual(events, ["work in", "work out"], "the query still holds the lease");
    queryMayEnd.resolve();
    await Promise.all([query, restore]);
    assert.deepEqual(events, ["work in", "work out", "restore"]);
  });

  test("a timer armed inside the exclusive lease holds nothing once the restore is over", async () => {
    let timer: Promise<{ held: boolean; exclusiveAgain: string }> | undefined;
    await withExclusiveLease(async () => {
      timer = new Promise((resolve) =>
        setTimeout(() => {
          const held = insideLease();
          // It may even take the exclusive lease itself: it does not "wait for itself".
          void withExclusiveLease(async () => "taken").then(
            (exclusiveAgain) => resolve({ held, exclusiveAgain }),
            (error: Error) => resolve({ held, exclusiveAgain: error.message }),
          );
        }, 10),
      );
    });
    assert.deepEqual(await timer, { held: false, exclusiveAgain: "taken" });
  });
});
