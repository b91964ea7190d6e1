// Where the Litestream binary is, and which version it is. It ships inside the npm package
// @flydotio/litestream-linux-x64 (pinned in package.json: a static Litestream v0.3.13 build);
// the image copies it to bin/litestream (Dockerfile). Nothing is downloaded at run time.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { findAppPath } from "../db/paths";

const IMAGE_PATH = path.join(/* turbopackIgnore: true */ "bin", "litestream");
const PACKAGE_PATH = path.join(
  /* turbopackIgnore: true */ "node_modules",
  "@flydotio",
  "litestream-linux-x64",
  "litestream",
);

/** The binary's path: bin/litestream in the image and the assembled build, else the npm package's. */
export function litestreamBinary(): string {
  for (const relative of [IMAGE_PATH, PACKAGE_PATH]) {
    try {
      return findAppPath(relative);
    } catch {
      // not in this layout: try the next one
    }
  }
  throw new Error(
    `cannot find the Litestream binary (${IMAGE_PATH} or ${PACKAGE_PATH}); run npm ci, or rebuild the image`,
  );
}

export type LitestreamVersion = { version: string | null; path: string | null; error: string | null };

let cached: LitestreamVersion | undefined;

/** `litestream version` (v0.3.13), run once per process; says why when it cannot run. */
export function litestreamVersion(): LitestreamVersion {
  if (cached) return cached;
  let binary: string | null = null;
  try {
    binary = litestreamBinary();
    const version = execFileSync(/* turbopackIgnore: true */ binary, ["version"], {
      encoding: "utf8",
      timeout: 10_000,
    }).trim();
    cached = { version, path: binary, error: null };
  } catch (error) {
    cached = { version: null, path: binary, error: error instanceof Error ? error.message : String(error) };
  }
  return cached;
}
