// scripts/run.sh (the quick start) after any build: it starts the build as it is instead of
// installing and building again, because every build writes the source fingerprint run.sh checks.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { freePort, projectRoot, standaloneDir, TEST_SECRET } from "../support/server";
import { tempDir } from "../support/temp";

function currentFingerprint(): string {
  const result = spawnSync("bash", ["-c", "source scripts/lib/source-fingerprint.sh && source_fingerprint"], {
    cwd: projectRoot,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

test("run.sh starts the last build without building again when the sources did not change", async () => {
  // run.sh's own decision, checked before running it: on a mismatch it would install and build
  // over the .next folder every other test uses, so the test stops here and says why.
  const built = readFileSync(path.join(standaloneDir, ".opstage-source-fingerprint"), "utf8").trim();
  assert.equal(
    built,
    currentFingerprint(),
    "the sources changed since the last build (or the build wrote no fingerprint): run.sh would build again",
  );

  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: "production",
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OPSTAGE_DATA_DIR: tempDir(),
    OPSTAGE_HOST: "127.0.0.1",
    OPSTAGE_PORT: String(port),
    OPSTAGE_SESSION_SECRET: TEST_SECRET,
    OPSTAGE_LOG_FORMAT: "pretty",
  };
  const child = spawn("bash", ["scripts/run.sh"], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) assert.fail(`run.sh exited with ${child.exitCode}:\n${output}`);
      assert.ok(Date.now() < deadline, `the console did not answer in 60 s:\n${output}`);
      const health = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null);
      if (health?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.match(output, /nothing changed since the last build; starting it/);
    assert.doesNotMatch(output, /==> (npm ci|next build|prisma generate)/);
  } finally {
    // run.sh execs the server, so the signal reaches it directly.
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, output);
});
