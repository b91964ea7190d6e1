// Preloaded (node --require) into a process whose worker threads inherit it. In the hashing
// thread, once it has hashed every chunk queued so far (and at least one: the copy's thread hashes
// none, so it is never paused), the Atomics.load of the word OPSTAGE_TEST_PAUSE names is followed
// by a pause that lasts until the copy has ended (at most 10 s) — as if the system had descheduled
// the hashing thread right after that read while the copy queued its last chunks and ended. The
// copy never needs the hashing thread meanwhile as long as it has fewer chunks than the pool has
// slots. Chunks hashed are counted as the thread's sha256 updates. Nothing else changes.
const { isMainThread } = require("node:worker_threads");

if (!isMainThread && process.env.OPSTAGE_TEST_PAUSE) {
  const crypto = require("node:crypto");
  const { signal, queued, phase, running, pauseAt } = JSON.parse(process.env.OPSTAGE_TEST_PAUSE);
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
  Atomics.load = function (array, index) {
    const value = load(array, index);
    if (
      index === pauseAt &&
      array.buffer instanceof SharedArrayBuffer &&
      hashed > 0 &&
      load(array, queued) === hashed
    ) {
      const deadline = Date.now() + 10_000;
      while (load(array, phase) === running && Date.now() < deadline)
        Atomics.wait(array, signal, load(array, signal), 50);
    }
    return value;
  };
}
