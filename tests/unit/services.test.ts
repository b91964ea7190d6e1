// The services registry (lib/system/services.ts): one order to start, the reverse to stop, each
// stop waited for, and a pause that always ends in a start — unless the server is stopping.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { configureForCli, getConfig } from "../../lib/config";
import type { Service } from "../../lib/service";
import { createServiceRegistry } from "../../lib/system/services";
import { SERVICES } from "../../lib/system/service-list";
import { deferred } from "../support/deferred";
import { tempDir } from "../support/temp";

process.env.OPSTAGE_DATA_DIR = tempDir();
configureForCli();

function recording(events: string[], name: string, stopUntil?: Promise<void>): Service {
  return {
    name,
    start: () => void events.push(`start ${name}`),
    async stop() {
      events.push(`stopping ${name}`);
      await stopUntil;
      events.push(`stopped ${name}`);
    },
  };
}

describe("services registry", () => {
  test("starts in order, stops in reverse, each stop waited for before the next; a second stop does nothing", async () => {
    const events: string[] = [];
    const scheduleRun = deferred();
    const registry = createServiceRegistry([
      recording(events, "workers"),
      recording(events, "queue"),
      recording(events, "scheduler", scheduleRun.promise),
    ]);
    await registry.startServices(getConfig());
    assert.deepEqual(events, ["start workers", "start queue", "start scheduler"]);
    events.length = 0;
    const stopping = registry.stopServices();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ["stopping scheduler"], "the queue stops only once the scheduler's run has ended");
    scheduleRun.resolve();
    await stopping;
    await registry.stopServices();
    assert.deepEqual(events, [
      "stopping scheduler",
      "stopped scheduler",
      "stopping queue",
      "stopped queue",
      "stopping workers",
      "stopped workers",
    ]);
  });

  test("a pause stops all, runs fn, and starts all again, also when fn throws", async () => {
    const events: string[] = [];
    const registry = createServiceRegistry([recording(events, "a"), recording(events, "b")]);
    await registry.startServices(getConfig());
    events.length = 0;
    await assert.rejects(
      registry.withServicesPaused(async () => {
        events.push("swap");
        throw new Error("swap failed");
      }),
      /swap failed/,
    );
    assert.deepEqual(events, ["stopping b", "stopped b", "stopping a", "stopped a", "swap", "start a", "start b"]);
  });

  test("a pause ending after a stop (SIGTERM meanwhile) starts nothing again", async () => {
    const events: string[] = [];
    const registry = createServiceRegistry([recording(events, "a")]);
    await registry.startServices(getConfig());
    const swap = deferred();
    const paused = registry.withServicesPaused(() => swap.promise);
    await new Promise((resolve) => setImmediate(resolve));
    const stopped = registry.stopServices();
    swap.resolve();
    await Promise.all([paused, stopped]);
    assert.deepEqual(events, ["start a", "stopping a", "stopped a"]);
  });

  test("a service that fails to start does not keep the others from starting", async () => {
    const events: string[] = [];
    const broken: Service = { name: "broken", start: () => Promise.reject(new Error("bad settings")), stop: () => {} };
    const registry = createServiceRegistry([broken, recording(events, "scheduler")]);
    await assert.rejects(registry.startServices(getConfig()), /bad settings/);
    assert.deepEqual(events, ["start scheduler"]);
  });

  test("the server's list: every service once, the scheduler last (first to stop)", () => {
    const names = SERVICES.map((service) => service.name);
    assert.equal(new Set(names).size, names.length);
    assert.equal(names.at(-1), "backup scheduler");
    assert.equal(names.length, 10);
  });
});
