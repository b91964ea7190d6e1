#!/usr/bin/env node
// Bundles the operator CLI into dist/cli/: cli.mjs, the entry that runs with plain `node` inside
// the image beside the standalone server (whose node_modules provide better-sqlite3), and
// cli-chunks/, the commands it loads only when asked (so `serve` starts without them). ESM,
// because Prisma's generated client reads import.meta.url.
import { build } from "esbuild";
import { execSync } from "node:child_process";
import { rmSync } from "node:fs";

function gitCommit() {
  try {
    return execSync("git rev-parse --short=12 HEAD", { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return "";
  }
}

// zod's full build re-exports its ~50 message locales as namespaces (`z.locales`,
// `z.core.locales`), which a bundler cannot drop: 370 KB of the 810 KB that `serve` compiles
// before Next's server even starts loading. Nothing here uses them (English messages come from
// zod's own default), so those re-exports get an empty module.
const dropZodLocales = {
  name: "drop-zod-locales",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: "zod-locales", namespace: "empty" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

rmSync("dist/cli", { recursive: true, force: true });
await build({
  entryPoints: { cli: "cli/opstage.ts" },
  outdir: "dist/cli",
  outExtension: { ".js": ".mjs" },
  chunkNames: "cli-chunks/[name]-[hash]",
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3"],
  // Bundled CommonJS dependencies call require(); give each ESM output file one.
  banner: {
    js: "import { createRequire as __opstageCreateRequire } from 'node:module'; const require = __opstageCreateRequire(import.meta.url);",
  },
  define: {
    "process.env.OPSTAGE_BUILD_COMMIT": JSON.stringify(process.env.OPSTAGE_BUILD_COMMIT || gitCommit()),
    "process.env.OPSTAGE_BUILD_TIME": JSON.stringify(process.env.OPSTAGE_BUILD_TIME || new Date().toISOString()),
  },
  plugins: [dropZodLocales],
  logLevel: "warning",
});
console.log("Built dist/cli/ (cli.mjs and its chunks)");
