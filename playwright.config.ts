// End-to-end tests in Debian's Chromium (Playwright cannot download its own browser here).
// e2e/global-setup.ts starts the built server on a temp data dir; the tests sign in through the
// real login form.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "./e2e",
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  // The HTML report (playwright-report/) keeps the screenshots the specs attach at both widths.
  reporter: [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: process.env.OPSTAGE_E2E_URL,
    acceptDownloads: true,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      // As root Chromium needs --no-sandbox; the rest keep it from reaching for the network,
      // which this machine does not have.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
