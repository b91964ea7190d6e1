import assert from "node:assert/strict";
import { test } from "node:test";
import { LoginThrottle, throttleKeys } from "../../lib/auth/login-throttle";

test("failures slow further attempts per username and per IP, and a success clears them", () => {
  let now = 0;
  const throttle = new LoginThrottle(() => now);
  const keys = throttleKeys("Alice", "10.0.0.1");
  for (let i = 0; i < 5; i++) {
    assert.equal(throttle.delayMs(keys), 0, `attempt ${i + 1} is free`);
    throttle.recordFailure(keys);
  }
  assert.equal(throttle.delayMs(keys), 1000);
  throttle.recordFailure(keys);
  assert.equal(throttle.delayMs(keys), 2000);
  // Another username from the same address is slowed too (the IP key), and so is the same
  // username (case-insensitively) from elsewhere.
  assert.equal(throttle.delayMs(throttleKeys("bob", "10.0.0.1")), 2000);
  assert.equal(throttle.delayMs(throttleKeys("alice", "10.9.9.9")), 2000);
  for (let i = 0; i < 20; i++) throttle.recordFailure(keys);
  assert.equal(throttle.delayMs(keys), 30_000, "capped");
  now += 16 * 60 * 1000;
  assert.equal(throttle.delayMs(keys), 0, "the window expires");
  for (let i = 0; i < 6; i++) throttle.recordFailure(keys);
  throttle.recordSuccess(keys);
  assert.equal(throttle.delayMs(keys), 0);
});
