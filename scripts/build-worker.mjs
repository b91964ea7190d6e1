#!/usr/bin/env node
// Bundles the worker threads' code into dist/: lib/backup/worker-tasks.ts (the snapshot copy,
// hashing, integrity checks) into dist/snapshot-worker.cjs, and lib/inspect/worker-tasks.ts
// (browse and compare of backups) into dist/inspect-worker.cjs. A worker thread loads a file,
// and the app's own modules have no stable path after Next's bundling. better-sqlite3 stays
// external (a native module, resolved from the app's node_modules).
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
