#!/usr/bin/env node
// Completes Next's standalone output into a runnable app folder, the same way the Dockerfile's
// runtime stage does: static assets, public/, the migrations, the CLI beside server.js and the
// snapshot worker's bundle and its SQLite extension, and the Litestream binary.
import { cpSync, existsSync, rmSync } from "node:fs";

const target = ".next/standalone";
if (!existsSync(`${target}/server.js`)) {
  console.error("assemble-standalone: .next/standalone/server.js is missing; run `next build` first");
  process.exit(1);
}
const copies = [
  [".next/static", `${target}/.next/static`],
  ["public", `${target}/public`],
  ["prisma/migrations", `${target}/prisma/migrations`],
  ["dist/cli/cli.mjs", `${target}/cli.mjs`],
  ["dist/cli/cli-chunks", `${target}/cli-chunks`],
  ["dist/snapshot-worker.cjs", `${target}/dist/snapshot-worker.cjs`],
  ["dist/inspect-worker.cjs", `${target}/dist/inspect-worker.cjs`],
  ["dist/opstage-check.so", `${target}/dist/opstage-check.so`],
  // The pinned Litestream binary (lib/replication/binary.ts), where the image has it.
  ["node_modules/@flydotio/litestream-linux-x64/litestream", `${target}/bin/litestream`],
];
for (const [from, to] of copies) {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
console.log(`Assembled ${target} (server.js, cli.mjs, static assets, migrations)`);
