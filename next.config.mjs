import { execSync } from "node:child_process";

// Build facts shown on Settings → Diagnostics. Unknown when git is not available (an image built
// from a source archive); an explicit OPSTAGE_BUILD_COMMIT wins (the Dockerfile passes it in).
function gitCommit() {
  try {
    return execSync("git rev-parse --short=12 HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    return "";
  }
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  output: "standalone",
  // Native module and Prisma's driver adapter stay plain `require`s in node_modules (the
  // standalone trace copies them) instead of being bundled.
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3"],
  env: {
    OPSTAGE_BUILD_COMMIT: process.env.OPSTAGE_BUILD_COMMIT || gitCommit(),
    OPSTAGE_BUILD_TIME: process.env.OPSTAGE_BUILD_TIME || new Date().toISOString(),
  },
  poweredByHeader: false,
};

export default nextConfig;
