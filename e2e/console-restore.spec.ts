import { expect, test } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";

// It restores a backup of this same database made moments before, so the users the other specs
// sign in with are still there afterwards, whatever order the files run in.
test("an owner restores a stored backup from the console and is sent to sign in again", async ({ page }) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  await page.goto("/settings/backups");
  await page.getByRole("button", { name: "Back up now" }).click();
  await expect(page.getByTestId("backups-message")).toContainText("Stored ");
  const name = (await page.getByTestId("backups-message").textContent())!.replace(/^Stored (.*)\.$/, "$1");
  const row = page.locator(`[data-testid="backup-row"][data-name="${name}"]`);

  let confirmText = "";
  page.once("dialog", (dialog) => {
    confirmText = dialog.message();
    void dialog.accept();
  });
  await row.getByRole("button", { name: "Restore" }).click();
  await expect(page).toHaveURL(/\/login\?restored=1/, { timeout: 30_000 });
  expect(confirmText).toContain(`Restore ${name}?`);
  expect(confirmText).toContain("Restorable into this version");
  expect(confirmText).toContain("kept as a pre-restore backup");
  await expect(page.getByTestId("restored-notice")).toBeVisible();

  // The owner exists in the restored copy; the pre-restore backup is listed.
  await page.getByLabel("Username").fill(E2E.owner.username);
  await page.getByLabel("Password").fill(E2E.owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/settings/backups");
  await expect(page.getByTestId("backup-row").filter({ hasText: "pre-restore" }).first()).toBeVisible();
});
