#!/usr/bin/env node
// Bundles the worker thread's code (lib/backup/worker-tasks.ts) into dist/snapshot-worker.cjs: a
// worker thread loads a file, and the app's own modules have no stable path after Next's
// bundling. better-sqlite3 stays external (a native module, resolved from the app's node_modules).
import { build } from "esbuild";

await build({
  entryPoints: ["lib/backup/worker-tasks.ts"],
  outfile: "dist/snapshot-worker.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["better-sqlite3"],
  logLevel: "warning",
});
console.log("Built dist/snapshot-worker.cjs");
