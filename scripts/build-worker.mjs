#!/usr/bin/env node
// Bundles the worker threads' code into dist/: lib/backup/worker-tasks.ts (the snapshot copy,
// hashing, integrity checks) into dist/snapshot-worker.cjs, and lib/inspect/worker-tasks.ts
// (browse and compare of backups) into dist/inspect-worker.cjs. A worker thread loads a file,
// and the app's own modules have no stable path after Next's bundling. better-sqlite3 stays
// external (a native module, resolved from the app's node_modules). Also compiles the full
// check's SQLite extension (native/opstage-check.c, loaded by the snapshot worker's threads) into
// dist/opstage-check.so, against the SQLite headers better-sqlite3 ships: a C compiler is needed
// here as for better-sqlite3 itself (the Dockerfile's build stage installs one).
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync } from "node:fs";
import { build } from "esbuild";

const workers = [
  ["lib/backup/worker-tasks.ts", "dist/snapshot-worker.cjs"],
  ["lib/inspect/worker-tasks.ts", "dist/inspect-worker.cjs"],
];
for (const [entry, outfile] of workers) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["better-sqlite3"],
    logLevel: "warning",
  });
  console.log(`Built ${outfile}`);
}

const extension = "dist/opstage-check.so";
mkdirSync("dist", { recursive: true });
// Written beside and renamed: a server that loads the extension never finds half of one.
const partial = `${extension}.tmp-${process.pid}`;
try {
  execFileSync(
    process.env.CC || "cc",
    [
      "-O2",
      "-Wall",
      "-fPIC",
      "-shared",
      "-I",
      "node_modules/better-sqlite3/deps/sqlite3",
      "native/opstage-check.c",
      "-o",
      partial,
    ],
    { stdio: "inherit" },
  );
} catch (error) {
  console.error(
    `build-worker: compiling native/opstage-check.c failed (${error.message}); a C compiler is needed (cc, or set CC)`,
  );
  process.exit(1);
}
renameSync(partial, extension);
console.log(`Built ${extension}`);
