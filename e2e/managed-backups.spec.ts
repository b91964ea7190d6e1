import { expect, test } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";
import { confirmInDialog } from "./page-checks";
import { SQLITE_MAGIC } from "../tests/support/db";

test("an owner creates a token, a script uses it, the schedule makes a backup, which is verified and deleted", async ({
  page,
  baseURL,
}) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);

  // Create a token; it is shown once.
  await page.goto("/settings/tokens");
  await page.getByLabel("Name").fill("e2e host cron");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  expect(token).toMatch(/^opst_/);
  await page.reload();
  await expect(page.getByTestId("token-row").filter({ hasText: "e2e host cron" })).toBeVisible();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  expect(await page.content()).not.toContain(token);

  // A script outside the browser uses it, as the README's host-cron line does.
  const response = await fetch(`${baseURL}/api/admin/backup/sqlite`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  expect(
    Buffer.from(await response.arrayBuffer())
      .subarray(0, 16)
      .toString("latin1"),
  ).toBe(SQLITE_MAGIC);

  // Turn on a schedule (every second) and watch a scheduled backup appear in the list.
  await page.goto("/settings/backups");
  await page.getByLabel("Schedule (cron, empty = off)").fill("* * * * * *");
  await page.getByLabel("Keep scheduled backups").fill("3");
  await page.getByRole("button", { name: "Save schedule" }).click();
  const scheduledRow = page.getByTestId("backup-row").filter({ hasText: "scheduled" }).first();
  await expect(scheduledRow).toBeVisible({ timeout: 20_000 });
  await page.getByLabel("Schedule (cron, empty = off)").fill("");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByTestId("schedule-next")).toHaveText("off");

  // Verify one backup, then delete it (confirming the dialog).
  const name = (await scheduledRow.getAttribute("data-name"))!;
  const row = page.locator(`[data-testid="backup-row"][data-name="${name}"]`);
  await row.getByRole("button", { name: `Actions for ${name}` }).click();
  await page.getByRole("menuitem", { name: `Verify ${name}` }).click();
  await expect(page.getByTestId("backups-message")).toContainText("Restorable into this version");
  await expect(row).toContainText("restorable");
  await row.getByRole("button", { name: `Actions for ${name}` }).click();
  await page.getByRole("menuitem", { name: `Delete ${name}` }).click();
  await confirmInDialog(page, `Delete ${name}?`, "Delete backup");
  await expect(page.getByTestId("backups-message")).toContainText(`Deleted ${name}`);
  await expect(row).toHaveCount(0);
});
