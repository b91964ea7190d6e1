// Password hashes (lib/auth/password.ts): scrypt on libuv's thread pool for new hashes, bcrypt
// hashes from before still verify and are marked for replacement.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import bcrypt from "bcryptjs";
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from "../../lib/auth/password";

test("a new hash is scrypt with its parameters and salt, verifies the password and nothing else", async () => {
  const hash = await hashPassword("correct-horse-battery");
  assert.match(hash, /^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(hash, await hashPassword("correct-horse-battery"), "a fresh salt each time");
  assert.equal(await verifyPassword("correct-horse-battery", hash), true);
  assert.equal(await verifyPassword("correct-horse-batterY", hash), false);
  assert.equal(needsRehash(hash), false);
  assert.equal(await verifyPassword("anything-at-all", "scrypt$1$1$1$$"), false, "a malformed hash is no match");
  assert.equal(
    await verifyPassword("anything-at-all", "scrypt$1073741824$8$1$c2FsdA$a2V5"),
    false,
    "nor one too costly",
  );
});

test("a bcrypt hash from before still verifies and asks to be replaced", async () => {
  const legacy = bcrypt.hashSync("legacy-password-1", 4);
  assert.equal(await verifyPassword("legacy-password-1", legacy), true);
  assert.equal(await verifyPassword("legacy-password-2", legacy), false);
  assert.equal(needsRehash(legacy), true);
});

test("hashing leaves the event loop idle: the work runs on libuv's pool", async () => {
  const start = performance.eventLoopUtilization();
  await Promise.all([hashPassword("p-one-password"), hashPassword("p-two-password"), hashPassword("p-3-password")]);
  const { utilization } = performance.eventLoopUtilization(start);
  // bcryptjs at cost 12 keeps the loop busy nearly all the time (utilization ~1).
  assert.ok(utilization < 0.5, `event loop utilization while hashing: ${utilization.toFixed(2)}`);
});

test("length limits: at least 12 characters, at most 1024 bytes", () => {
  assert.match(passwordProblem("short")!, /at least 12/);
  assert.equal(passwordProblem("x".repeat(100)), null, "past bcrypt's 72 bytes is fine now");
  assert.match(passwordProblem("x".repeat(1025))!, /at most 1024 bytes/);
});
