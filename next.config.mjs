import { execSync } from "node:child_process";

// Build facts shown on Settings → Diagnostics. Unknown when git is not available (an image built
// from a source archive); an explicit OPSTAGE_BUILD_COMMIT wins (the Dockerfile passes it in).
function gitCommit() {
  try {
    return execSync("git rev-parse --short=12 HEAD", { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return "";
  }
}

// Sent with every page and API answer. Next's App Router inlines its bootstrap scripts without
// nonces (nonces would need a per-request proxy), hence 'unsafe-inline' for scripts; everything
// else is this origin only, and no other site may frame the console (clickjacking).
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = [
  { key: "Content-Security-Policy", value: CONTENT_SECURITY_POLICY },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

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
  experimental: {
    // Next loads every route's modules at start by default, on the one JS thread that also runs
    // register() (migrations) and answers the first /api/health: about half a second here.
    // Off, a route loads on its first request instead.
    preloadEntriesOnStart: false,
  },
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default nextConfig;
