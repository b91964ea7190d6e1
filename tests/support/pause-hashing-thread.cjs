// Preloaded (node --require) into a process whose worker threads inherit it: in every worker
// thread, right after an Atomics.load of the word OPSTAGE_TEST_PAUSE names, pauses when the thread
// has hashed every chunk queued so far and the copy has not ended — as if the system had
// descheduled the hashing thread at the moment the copy queues its last chunk and ends. The
// chunks hashed are counted as the thread's sha256 updates. Nothing else changes.
const { isMainThread } = require("node:worker_threads");

if (!isMainThread && process.env.OPSTAGE_TEST_PAUSE) {
  const crypto = require("node:crypto");
  const { queued, phase, running, pauseAt, pauseMs } = JSON.parse(process.env.OPSTAGE_TEST_PAUSE);
  let hashed = 0;
  const update = crypto.Hash.prototype.update;
  crypto.Hash.prototype.update = function (...args) {
    hashed++;
    return update.apply(this, args);
  };
  const digest = crypto.Hash.prototype.digest;
  crypto.Hash.prototype.digest = function (...args) {
    hashed = 0;
    return digest.apply(this, args);
  };
  const load = Atomics.load;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  Atomics.load = function (array, index) {
    const value = load(array, index);
    if (index === pauseAt && array.buffer instanceof SharedArrayBuffer) {
      const caughtUp = load(array, queued) === hashed && load(array, phase) === running;
      if (caughtUp) Atomics.wait(sleeper, 0, 0, pauseMs);
    }
    return value;
  };
}
