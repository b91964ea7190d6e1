import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import path from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { integrityOf, queryOne, SQLITE_MAGIC } from "../tests/support/db";
import { E2E, signInThroughForm } from "./fixture";

test("an owner downloads a consistent SQLite backup from Settings → Diagnostics", async ({ page }, testInfo) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  await page.goto("/settings/diagnostics");
  await expect(page.getByRole("heading", { name: "Diagnostics" })).toBeVisible();
  await expect(page.getByTestId("app-version")).toHaveText(packageJson.version);

  const downloadPromise = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download SQLite backup" }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^opstage-\d{8}T\d{6}\.\d{3}Z\.db$/);
  const saved = path.join(testInfo.outputDir, download.suggestedFilename());
  await download.saveAs(saved);

  expect(readFileSync(saved).subarray(0, 16).toString("latin1")).toBe(SQLITE_MAGIC);
  expect(integrityOf(saved)).toBe("ok");
  const owner = queryOne<{ role: string } | undefined>(
    saved,
    "SELECT role FROM User WHERE username = ?",
    E2E.owner.username,
  );
  expect(owner?.role).toBe("owner");

  // The page is still there (the download did not navigate away) and the action is audited.
  await expect(page.getByRole("heading", { name: "Diagnostics" })).toBeVisible();
  const audit = queryOne<{ n: number }>(
    path.join(E2E.dataDir, "opstage.db"),
    "SELECT count(*) AS n FROM AuditEvent WHERE action = 'backup.sqlite.created' AND targetId = ?",
    download.suggestedFilename(),
  );
  expect(audit.n).toBe(1);
});

test("a viewer sees Diagnostics but no download button", async ({ page }) => {
  await signInThroughForm(page, E2E.viewer.username, E2E.viewer.password);
  await page.goto("/settings/diagnostics");
  await expect(page.getByTestId("app-version")).toHaveText(packageJson.version);
  await expect(page.getByTestId("backup-owner-only")).toBeVisible();
  await expect(page.getByRole("button", { name: "Download SQLite backup" })).toHaveCount(0);
});

test("a wrong password is refused on the login form", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Username").fill(E2E.owner.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toContainText("Wrong username or password");
  await expect(page).toHaveURL(/\/login/);
});
