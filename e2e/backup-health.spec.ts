import { renameSync, rmSync, writeFileSync, existsSync, statSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";

// The Overview's backup card and the owners' banner follow the schedule for real: every run fails
// while the backup folder is a file (root ignores permissions; it cannot ignore that), and the
// first run after it is put back makes them ok again.
const backupDir = () => path.join(E2E.dataDir, "backups");
const away = () => `${backupDir()}.away`;

function repairBackupFolder() {
  if (existsSync(away())) {
    if (existsSync(backupDir()) && !statSync(backupDir()).isDirectory()) rmSync(backupDir());
    renameSync(away(), backupDir());
  }
}

async function setSchedule(page: Page, cron: string | null) {
  const response = await page.request.put("/api/admin/backup-schedule", { data: { cron, keep: 3 } });
  expect(response.status()).toBe(200);
}

/** Reloads the Overview until the card shows `state` (pages are rendered on the server). */
async function expectCardState(page: Page, state: string) {
  await expect(async () => {
    await page.goto("/");
    await expect(page.getByTestId("backup-health-card")).toHaveAttribute("data-state", state, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
}

test("the Overview card and the banner turn from ok to failing and back with the schedule", async ({
  page,
  browser,
  baseURL,
}) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  try {
    await setSchedule(page, "* * * * * *");
    await expectCardState(page, "ok");
    await expect(page.getByTestId("backup-health-banner")).toHaveCount(0);

    renameSync(backupDir(), away());
    writeFileSync(backupDir(), "not a folder\n");
    await expectCardState(page, "failing");
    const banner = page.getByTestId("backup-health-banner");
    await expect(banner).toBeVisible();
    await expect(banner).toContainText("Backups are failing.");
    await expect(banner).toContainText("The last scheduled backup");
    // On every console page, not only the Overview.
    await page.goto("/settings/account");
    await expect(page.getByTestId("backup-health-banner")).toBeVisible();
    // A viewer sees the card's state, but the banner (something to act on) is for owners.
    const viewerContext = await browser.newContext({ baseURL });
    const viewer = await viewerContext.newPage();
    await signInThroughForm(viewer, E2E.viewer.username, E2E.viewer.password);
    await viewer.goto("/");
    await expect(viewer.getByTestId("backup-health-card")).toHaveAttribute("data-state", "failing");
    await expect(viewer.getByTestId("backup-health-banner")).toHaveCount(0);
    await viewerContext.close();

    repairBackupFolder();
    await expectCardState(page, "ok");
    await expect(page.getByTestId("backup-health-banner")).toHaveCount(0);
    await expect(page.getByTestId("backup-health-card")).toContainText("Last good backup");
  } finally {
    repairBackupFolder();
    await setSchedule(page, null);
  }

  // The Backups page says when and how each backup was last proven.
  await page.goto("/settings/backups");
  await expect(page.getByTestId("backup-row").first().getByTestId("proven")).toContainText("checked after backup", {
    timeout: 15_000,
  });
});
