#!/usr/bin/env node
// `prisma generate` without network: Prisma 7's CLI checks for its native schema engine on start
// and would try to download it; generate does not use it, so any existing file satisfies the check.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const placeholder = path.join(mkdtempSync(path.join(tmpdir(), "opstage-prisma-")), "schema-engine-placeholder");
writeFileSync(placeholder, "");
const result = spawnSync("npx", ["--no-install", "prisma", "generate"], {
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
process.exit(result.status ?? 1);
