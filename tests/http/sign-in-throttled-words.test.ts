// A throttled sign-in is told so, with when to try again ("throttled:<seconds>" as signIn()'s
// error, which the login form turns into words) — and says nothing more about the username: an
// existing and an unknown one are throttled after the same count, with the same answer, and a
// right password waits like a wrong one.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startServer, type RunningServer } from "../support/server";
import { attemptSignIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
let server: RunningServer;

before(async () => {
  server = await startServer({
    dataDir: tempDir(),
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
});

after(async () => {
  await server?.stop();
});

/** The errors of `count` sign-ins with a wrong password, in order. */
async function wrongAttempts(username: string, count: number): Promise<(string | null)[]> {
  const errors: (string | null)[] = [];
  for (let i = 0; i < count; i++) errors.push((await attemptSignIn(server.url, username, "wrong-password-xyz")).error);
  return errors;
}

test("after ten wrong passwords the eleventh attempt says when to retry, the same for a known and an unknown username", async () => {
  const known = await wrongAttempts(OWNER.username, 11);
  const unknown = await wrongAttempts("nobody-by-that-name", 11);
  for (const errors of [known, unknown]) {
    assert.deepEqual(new Set(errors.slice(0, 10)), new Set(["CredentialsSignin"]), "ten plain refusals first");
    const [, seconds] = /^throttled:(\d+)$/.exec(errors[10] ?? "") ?? [];
    assert.ok(seconds, `the eleventh says throttled: ${errors[10]}`);
    assert.ok(Number(seconds) > 800 && Number(seconds) <= 900, `retry within the 15-minute block: ${seconds}`);
  }
  // The right password waits too: being let in would tell the password was right.
  const right = await attemptSignIn(server.url, OWNER.username, OWNER.password);
  assert.equal(right.cookie, null);
  assert.match(right.error ?? "", /^throttled:\d+$/);
});
