// Offsite benchmark: how fast the server copies a stored backup to an S3-compatible store, plain
// and age-encrypted, and what it costs in server memory, against `cp` + fsync of the same file
// (the disk's limit) and the local S3 server's own write rate (the same file uploaded by the SDK
// from a bare process, no Opstage in between), in the same run. A report, not a test.
//
//   npm run bench -- --size-mb 1024 [--runs 3]     (scripts/bench.sh runs this after backup-bench)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { enableWal, openDatabase } from "../lib/db/sqlite";
import { applyPendingMigrations } from "../lib/migrate/apply";
import { readMigrationFiles } from "../lib/migrate/files";
import { fileFiller, uploadMultipart } from "../lib/offsite/multipart";
import { s3ClientFor } from "../lib/offsite/s3";
import type { OffsiteTarget } from "../lib/offsite/target";
import { startS3Server } from "../tests/support/s3-server";
import { projectRoot, startServer, type RunningServer } from "../tests/support/server";
import { signIn } from "../tests/support/session";
import { fsyncFile } from "./page-cache";
import { rssSampler } from "./rss-sampler";

const { values } = parseArgs({
  options: { "size-mb": { type: "string", default: "200" }, runs: { type: "string", default: "3" } },
});
const SIZE_MB = Number(values["size-mb"]);
const RUNS = Math.max(3, Number(values.runs));
const OWNER = { username: "bench", password: "bench-password-123" };
const PREFIX = "bench";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => bytes / 1048576;
const log = (message: string) => process.stderr.write(`[offsite-bench] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An Opstage database at the current schema, filled to the size with 1 MB random rows. */
function generateDatabase(file: string, megabytes: number): void {
  const db = openDatabase(file);
  applyPendingMigrations(db, readMigrationFiles(path.join(projectRoot, "prisma/migrations")));
  db.exec("CREATE TABLE BenchFill (id INTEGER PRIMARY KEY, data BLOB)");
  const insert = db.prepare("INSERT INTO BenchFill (data) VALUES (randomblob(1048576))");
  db.transaction(() => {
    for (let i = 0; i < megabytes; i++) insert.run();
  })();
  enableWal(db);
  db.close();
}

function cpWithFsync(from: string, to: string): number {
  const started = performance.now();
  execFileSync("cp", [from, to]);
  fsyncFile(to);
  const seconds = (performance.now() - started) / 1000;
  rmSync(to);
  return seconds;
}

type CopyRun = { seconds: number; rssGrowth: number };

async function main() {
  const root = path.join(tmpdir(), `opstage-offsite-bench-${Date.now()}`);
  const dataDir = path.join(root, "data");
  const backupDir = path.join(dataDir, "backups");
  mkdirSync(dataDir, { recursive: true });
  const s3 = await startS3Server();
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  let server: RunningServer | null = null;
  try {
    generateDatabase(path.join(dataDir, "opstage.db"), SIZE_MB);
    execFileSync("sync");
    const target: OffsiteTarget = {
      endpoint: s3.endpoint,
      region: "us-east-1",
      bucket: s3.bucket,
      prefix: PREFIX,
      pathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      recipient: null,
      kinds: ["manual"],
      keepScheduled: 1,
    };
    const client = s3ClientFor(target);
    const removeObject = async (key: string) => {
      await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
      await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `${key}.json` })).catch(() => {});
    };

    // One stored backup for the references (the same file the server copies).
    server = await startServer({
      dataDir,
      env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
    });
    let cookie = await signIn(server.url, OWNER.username, OWNER.password);
    const reference = (await (
      await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } })
    ).json()) as { name: string };
    const referenceFile = path.join(backupDir, reference.name);
    const bytes = statSync(referenceFile).size;
    await server.stop();
    server = null;
    log(`database and backup: ${mb(bytes).toFixed(0)} MB`);

    const cp: number[] = [];
    const direct: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      cp.push(cpWithFsync(referenceFile, path.join(root, "copy.db")));
      const handle = await open(referenceFile, "r");
      const started = performance.now();
      try {
        await uploadMultipart(
          client,
          { Bucket: s3.bucket, Key: `${PREFIX}/direct.db`, ContentType: "application/octet-stream" },
          fileFiller(async (b, o, l) => (await handle.read(b, o, l, null)).bytesRead),
        );
      } finally {
        await handle.close();
      }
      direct.push((performance.now() - started) / 1000);
      await removeObject(`${PREFIX}/direct.db`);
      log(`run ${run + 1}: cp ${cp.at(-1)!.toFixed(2)} s, direct S3 upload ${direct.at(-1)!.toFixed(2)} s`);
    }

    const copies: Record<"plain" | "encrypted", CopyRun[]> = { plain: [], encrypted: [] };
    for (const mode of ["plain", "encrypted"] as const) {
      const env: Record<string, string> = {
        OPSTAGE_ADMIN_USERNAME: OWNER.username,
        OPSTAGE_ADMIN_PASSWORD: OWNER.password,
        ...s3.env(PREFIX),
        OPSTAGE_OFFSITE_KINDS: "manual",
      };
      if (mode === "encrypted") env.OPSTAGE_OFFSITE_AGE_RECIPIENT = recipient;
      server = await startServer({ dataDir, env });
      cookie = await signIn(server.url, OWNER.username, OWNER.password);
      // One small copy first: loading the SDK and age is a one-time cost of the process.
      for (let run = -1; run < RUNS; run++) {
        const sampler = rssSampler(server.process.pid!);
        const made = (await (
          await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } })
        ).json()) as { name: string };
        const stateFile = path.join(backupDir, `${made.name}.offsite.json`);
        let state: { status: string; key?: string; error?: string; durationMs?: number } | null = null;
        for (let i = 0; i < 6000; i++) {
          state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, "utf8")) : null;
          if (state?.status === "done" || state?.status === "failed") break;
          await sleep(20);
        }
        const rssGrowth = sampler.stop().growth;
        if (state?.status !== "done")
          throw new Error(`the ${mode} copy of ${made.name} did not finish: ${state?.error ?? state?.status}`);
        const seconds = state.durationMs! / 1000;
        await removeObject(state.key!);
        await fetch(`${server.url}/api/admin/backups/${made.name}`, { method: "DELETE", headers: { Cookie: cookie } });
        if (run < 0) continue;
        copies[mode].push({ seconds, rssGrowth });
        log(
          `run ${run + 1}: ${mode} copy ${seconds.toFixed(2)} s, server RSS +${mb(rssGrowth).toFixed(1)} MB (snapshot included)`,
        );
      }
      await server.stop();
      server = null;
    }
    client.destroy();

    const rate = (seconds: number) => mb(bytes) / seconds;
    const rows: [string, number, number][] = [
      ["`cp` + fsync (disk limit)", Math.min(...cp), median(cp)],
      ["S3 server's own write rate (SDK multipart upload from a bare process)", Math.min(...direct), median(direct)],
      [
        "offsite copy by the server, plain",
        Math.min(...copies.plain.map((r) => r.seconds)),
        median(copies.plain.map((r) => r.seconds)),
      ],
      [
        "offsite copy by the server, age-encrypted",
        Math.min(...copies.encrypted.map((r) => r.seconds)),
        median(copies.encrypted.map((r) => r.seconds)),
      ],
    ];
    const lines = [
      `Offsite benchmark — ${mb(bytes).toFixed(1)} MB backup, ${RUNS} runs, ${cpus().length} cores, Node ${process.version}`,
      "",
      "| what | min s | median s | median MB/s | median vs S3 write |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...rows.map(
        ([what, min, med]) =>
          `| ${what} | ${min.toFixed(3)} | ${med.toFixed(3)} | ${rate(med).toFixed(0)} | ${(med / median(direct)).toFixed(2)}× |`,
      ),
      "",
      "| server RSS growth during backup + copy | max | median |",
      "| --- | ---: | ---: |",
      ...(["plain", "encrypted"] as const).map((mode) => {
        const growth = copies[mode].map((r) => mb(r.rssGrowth));
        return `| ${mode} | ${Math.max(...growth).toFixed(1)} MB | ${median(growth).toFixed(1)} MB |`;
      }),
    ];
    console.log(lines.join("\n"));
    const out = path.join(
      projectRoot,
      "bench/results",
      `${new Date().toISOString().slice(0, 10)}-${SIZE_MB}mb-offsite.json`,
    );
    writeFileSync(
      out,
      `${JSON.stringify({ bytes, runs: RUNS, node: process.version, cp, direct, copies, table: lines }, null, 2)}\n`,
    );
    log(`wrote ${path.relative(projectRoot, out)}`);
  } finally {
    if (server) await server.stop();
    await s3.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
