// There is no Docker engine here, so this test does what the Dockerfile's runtime stage does:
// it reads the stage's WORKDIR, ENV, COPY --from=build, HEALTHCHECK and CMD lines, copies exactly
// those files from this build into an empty folder outside the project (so nothing can be
// resolved from the project's node_modules), and runs the CMD there. A file the image would lack
// makes the server, the health check or the CLI fail here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { startS3Server } from "../support/s3-server";
import { projectRoot, runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";
import { SQLITE_MAGIC } from "../support/db";

type RuntimeStage = {
  workdir: string;
  env: Record<string, string>;
  copies: { from: string; to: string }[];
  healthcheck: string[];
  cmd: string[];
};

function parseRuntimeStage(dockerfile: string): RuntimeStage {
  // Join continuation lines, then keep the lines after the last FROM (the runtime stage).
  const lines = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim());
  const stage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));
  const result: RuntimeStage = { workdir: "/", env: {}, copies: [], healthcheck: [], cmd: [] };
  for (const line of stage) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    switch (instruction?.toUpperCase()) {
      case "WORKDIR":
        result.workdir = args;
        break;
      case "ENV":
        for (const match of args.matchAll(/(\w+)=(\S+)/g)) result.env[match[1]!] = match[2]!;
        break;
      case "COPY": {
        const parts = rest.filter((part) => !part.startsWith("--chown") && !part.startsWith("--chmod"));
        assert.equal(parts[0], "--from=build", `runtime COPY must come from the build stage: ${line}`);
        result.copies.push({ from: parts[1]!, to: parts[2]! });
        break;
      }
      case "HEALTHCHECK":
        result.healthcheck = JSON.parse(args.slice(args.indexOf("CMD") + 3).trim()) as string[];
        break;
      case "CMD":
        result.cmd = JSON.parse(args) as string[];
        break;
    }
  }
  return result;
}

const stage = parseRuntimeStage(readFileSync(path.join(projectRoot, "Dockerfile"), "utf8"));
let appDir: string;
let dataDir: string;
let server: RunningServer;

before(async () => {
  appDir = path.join(tempDir("opstage-image-"), "app");
  dataDir = tempDir();
  // The build stage's WORKDIR is /app and holds the project after `npm run build`: the same
  // paths, relative to the project root, exist here after scripts/build.sh.
  for (const { from, to } of stage.copies) {
    const source = path.join(projectRoot, path.relative("/app", from));
    const target = path.resolve(appDir, path.relative(stage.workdir, path.resolve(stage.workdir, to)));
    cpSync(source, target, { recursive: true });
  }
  assert.deepEqual(stage.cmd, ["node", "cli.mjs", "serve"], "the harness starts the server as the CMD does");
  // The image's ENV; startServer substitutes a temp data dir and a free loopback port.
  server = await startServer({
    dataDir,
    appDir,
    env: {
      ...stage.env,
      OPSTAGE_ADMIN_USERNAME: "owner",
      OPSTAGE_ADMIN_PASSWORD: "owner-password-123",
      // Replication on, so that the image's own Litestream (bin/litestream) runs here.
      OPSTAGE_REPLICATION: "file",
      OPSTAGE_REPLICATION_PATH: tempDir("opstage-image-replica-"),
    },
  });
});

after(async () => {
  await server?.stop();
});

test("the image carries the built server, not the project's sources or tests", () => {
  // Next's file tracing copies into .next/standalone whatever it thinks the server may read; a
  // dynamic fs path it cannot bound makes it copy the whole project.
  for (const stray of ["tests", "e2e", "bench", "lib", "app", "Dockerfile"]) {
    assert.ok(!existsSync(path.join(appDir, stray)), `${stray} must not be in the image`);
  }
});

test("the image's runtime stage: unprivileged user, data volume, port, health check, CMD", () => {
  const dockerfile = readFileSync(path.join(projectRoot, "Dockerfile"), "utf8");
  assert.match(dockerfile, /FROM node:\d+-[\w-]*slim AS runtime/);
  assert.equal(stage.env.OPSTAGE_DATA_DIR, "/app/data");
  assert.match(dockerfile, /^USER opstage$/m);
  assert.match(dockerfile, /^VOLUME \/app\/data$/m);
  assert.match(dockerfile, /^EXPOSE 8080$/m);
  assert.match(stage.healthcheck.join(" "), /\/api\/health/);
});

test("the assembled image serves pages, health and a backup download", async () => {
  const health = await fetch(`${server.url}/api/health`);
  assert.equal(health.status, 200);
  const login = await fetch(`${server.url}/login`);
  assert.equal(login.status, 200);
  assert.match(await login.text(), /Sign in/);
  const cookie = await signIn(server.url, "owner", "owner-password-123");
  const diagnostics = await fetch(`${server.url}/settings/diagnostics`, { headers: { Cookie: cookie } });
  assert.equal(diagnostics.status, 200);
  const css = /href="(\/_next\/static\/[^"]+\.css)"/.exec(await diagnostics.text())?.[1];
  assert.ok(css, "the page links its stylesheet");
  assert.equal((await fetch(`${server.url}${css}`)).status, 200, "static assets are in the image");
  const backup = await fetch(`${server.url}/api/admin/backup/sqlite`, { method: "POST", headers: { Cookie: cookie } });
  assert.equal(backup.status, 200, server.output());
  const body = await backup.arrayBuffer().catch((error: Error) => assert.fail(`${error.message}: ${server.output()}`));
  assert.equal(Buffer.from(body).subarray(0, 16).toString("latin1"), SQLITE_MAGIC);
});

test("the image's Litestream runs: its version on Diagnostics, replication in the health details", async () => {
  assert.ok(existsSync(path.join(appDir, "bin", "litestream")), "bin/litestream is in the image");
  assert.equal(server.process.signalCode ?? server.process.exitCode, null, `the server runs:\n${server.output()}`);
  const cookie = await signIn(server.url, "owner", "owner-password-123");
  const diagnostics = (await (
    await fetch(`${server.url}/api/admin/diagnostics`, { headers: { Cookie: cookie } })
  ).json()) as { litestream: string; replication: string };
  assert.equal(diagnostics.litestream, "v0.3.13");
  assert.match(diagnostics.replication, /Litestream running \(pid \d+\)/);
  const health = (await (await fetch(`${server.url}/api/health`)).json()) as {
    details: { replication: { running: boolean } };
  };
  assert.equal(health.details.replication.running, true);
});

test("the HEALTHCHECK command passes against the running server", () => {
  const [command, ...args] = stage.healthcheck;
  const result = spawnSync(command === "node" ? process.execPath : command!, args, {
    env: { PATH: process.env.PATH, NODE_ENV: "production", OPSTAGE_PORT: new URL(server.url).port },
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
});

test("the CLI runs inside the image", () => {
  const status = runCli(dataDir, ["migrate", "status"], "", appDir);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Pending: 0/);
  const created = runCli(dataDir, ["user", "create", "ivan", "--role", "operator"], "ivan-password-123\n", appDir);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created operator ivan/);
});

test("the image's CLI restores a file with nothing to compare by the full check (its SQLite extension loads)", () => {
  const backup = runCli(dataDir, ["backup"], "", appDir);
  assert.equal(backup.code, 0, `${backup.stdout}${backup.stderr}`);
  const written = /^Wrote (\S+\.db) /m.exec(backup.stdout)?.[1];
  assert.ok(written, backup.stdout);
  // A copy away from its manifest, as an upload or a file copied by hand is.
  const file = path.join(tempDir(), "copied-by-hand.db");
  cpSync(written, file);
  const restored = runCli(tempDir(), ["restore", file, "--yes"], "", appDir);
  assert.equal(restored.code, 0, `${restored.stdout}${restored.stderr}`);
  assert.match(
    restored.stdout,
    /Integrity: .*quick_check and \d+ index\(es\) summed against their tables on 2 threads/,
  );
});

test("the server is gone, in the image: an empty data folder with OPSTAGE_RESTORE_ON_EMPTY=offsite starts with the users", async () => {
  const s3 = await startS3Server();
  try {
    const identity = await generateIdentity();
    const keyFile = path.join(tempDir("opstage-key-"), "age.key");
    writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
    const offsite = { ...s3.env("image"), OPSTAGE_OFFSITE_AGE_RECIPIENT: await identityToRecipient(identity) };
    // The image's CLI makes a backup and waits for its encrypted offsite copy.
    const backup = runCli(dataDir, ["backup"], "", appDir, offsite);
    assert.equal(backup.code, 0, `${backup.stdout}${backup.stderr}`);
    assert.ok(
      s3.keys("image").some((key) => key.endsWith(".db.age")),
      `an encrypted copy in the bucket: ${s3.keys("image").join(", ")}`,
    );
    const revived = await startServer({
      dataDir: tempDir(),
      appDir,
      env: {
        ...stage.env,
        ...offsite,
        OPSTAGE_RESTORE_ON_EMPTY: "offsite",
        OPSTAGE_OFFSITE_AGE_IDENTITY_FILE: keyFile,
      },
    });
    try {
      assert.match(revived.output(), /restored on an empty start: offsite copy /);
      await signIn(revived.url, "owner", "owner-password-123");
      await signIn(revived.url, "ivan", "ivan-password-123");
    } finally {
      await revived.stop();
    }
  } finally {
    await s3.stop();
  }
});
