// The six states docs/screenshots/ shows, taken from this build:
//   OPSTAGE_SCREENSHOTS=1 npx playwright test e2e/screenshots.spec.ts
// writes them to docs/screenshots/after/ (OPSTAGE_SCREENSHOTS_DIR=before for the other folder).
// Skipped in CI: the pictures are for people, the checks live in the other specs.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { projectRoot } from "../tests/support/server";
import { E2E, signInThroughForm } from "./fixture";
import { animationsSettled } from "./page-checks";

test.skip(process.env.OPSTAGE_SCREENSHOTS !== "1", "set OPSTAGE_SCREENSHOTS=1 to take the documentation's pictures");

const folder = () => path.join(projectRoot, "docs", "screenshots", process.env.OPSTAGE_SCREENSHOTS_DIR ?? "after");

async function shoot(page: Page, name: string, fullPage = true) {
  mkdirSync(folder(), { recursive: true });
  await animationsSettled(page);
  await page.screenshot({ path: path.join(folder(), `${name}.png`), fullPage });
}

async function ownerPage(
  browser: Browser,
  baseURL: string | undefined,
  options: { dark?: boolean; phone?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({
    baseURL,
    colorScheme: options.dark ? "dark" : "light",
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  return page;
}

test("the documentation's six states", async ({ browser, baseURL }) => {
  test.setTimeout(240_000);
  const page = await ownerPage(browser, baseURL);

  // 1. The Overview with a failing offsite copy: a target nothing listens on, and a manual backup
  // it must copy.
  const target = {
    endpoint: "http://127.0.0.1:9",
    region: "us-east-1",
    bucket: "unreachable",
    prefix: "opstage",
    pathStyle: true,
    accessKeyId: "screenshot",
    secretAccessKey: "screenshot-secret",
    recipient: null,
    kinds: ["manual"],
    keepScheduled: 3,
  };
  expect((await page.request.put("/api/admin/offsite", { data: target })).status()).toBe(200);
  try {
    expect((await page.request.post("/api/admin/backups")).status()).toBe(201);
    await expect(async () => {
      await page.goto("/");
      await expect(page.locator("[data-testid=backup-health-row][data-source=offsite] span").first()).toHaveText(
        /retrying|failing/,
        { timeout: 1_000 },
      );
    }).toPass({ timeout: 60_000 });
    await shoot(page, "overview-failing-offsite");
  } finally {
    await page.request.delete("/api/admin/offsite");
  }

  // 2. A one-time API token, shown, in dark mode.
  const dark = await ownerPage(browser, baseURL, { dark: true });
  await dark.goto("/settings/tokens");
  await dark.getByLabel("Name").fill("host cron backup");
  await dark.getByRole("button", { name: "Create token" }).click();
  await expect(dark.getByTestId("new-token")).toBeVisible();
  await shoot(dark, "token-shown-dark");
  await dark.context().close();

  // 3. Settings → Replication.
  await page.goto("/settings/replication");
  await expect(page.locator("main h1")).toBeVisible();
  await page.waitForLoadState("networkidle");
  await shoot(page, "replication");

  // 4. The restore dialog on a phone (the viewport only: the dialog is what the phone shows).
  const phone = await ownerPage(browser, baseURL, { phone: true });
  await phone.goto("/settings/backups");
  await phone
    .getByRole("button", { name: /^Actions for / })
    .first()
    .click();
  await phone.getByRole("menuitem", { name: /^Restore / }).click();
  await expect(phone.getByRole("dialog")).toBeVisible();
  await phone.waitForTimeout(1_000); // its verification step settles; a picture, not a check
  await shoot(phone, "restore-dialog-phone", false);
  await phone.keyboard.press("Escape");
  await phone.context().close();

  // 5. A bad schedule: minute 61, described, then saved.
  await page.goto("/settings/backups");
  const cron = page.getByLabel("Schedule (cron, empty = off)");
  await cron.fill("61 * * * *");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByTestId("schedule-message")).toBeVisible();
  await cron.scrollIntoViewIfNeeded();
  await shoot(page, "bad-schedule", false);

  // 6. The Users form after the server refused it (the username is taken).
  await page.goto("/settings/users");
  const form = page.getByRole("form", { name: "New user" });
  await form.getByLabel("Username").fill(E2E.operator.username);
  await form.getByLabel("Display name").fill("Olga again");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText(/already|taken|exists/i).first()).toBeVisible();
  await shoot(page, "users-form-error", false);
});
