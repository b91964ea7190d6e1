import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { E2E, signInThroughForm } from "./fixture";
import { projectRoot } from "../tests/support/server";
import { attachScreenshot } from "./page-checks";

// `OPSTAGE_README_SCREENSHOTS=1 npx playwright test e2e/console-restore.spec.ts` refreshes the
// README's two pictures from this build.
async function readmeScreenshot(page: Page, name: string) {
  if (process.env.OPSTAGE_README_SCREENSHOTS !== "1") return;
  await page.screenshot({ path: path.join(projectRoot, "docs", "screenshots", `${name}.png`) });
}

// It restores a backup of this same database made moments before, so the users the other specs
// sign in with are still there afterwards, whatever order the files run in.
test("an owner restores a stored backup through the restore dialog and is sent to sign in again", async ({
  page,
}, testInfo) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  await page.goto("/settings/backups");
  await page.getByRole("button", { name: "Back up now" }).click();
  const message = page.getByTestId("backups-message");
  await expect(message).toHaveAttribute("data-tone", "success");
  const name = (await message.textContent())!.replace(/^.*Stored (\S+)\.$/, "$1");
  const row = page.locator(`[data-testid="backup-row"][data-name="${name}"]`);

  await page.setViewportSize({ width: 1280, height: 900 });
  await readmeScreenshot(page, "backups");
  const actions = row.getByRole("button", { name: `Actions for ${name}` });
  await actions.click();
  await page.getByRole("menuitem", { name: `Restore ${name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Restore ${name}?` });
  await expect(dialog).toBeVisible();

  // Verify runs first, as its own step; nothing says "Restoring" meanwhile.
  await expect(dialog.getByTestId("restore-verify")).toContainText("Verified: Restorable into this version");
  await expect(dialog.getByTestId("restore-progress")).toHaveCount(0);
  const facts = dialog.getByTestId("restore-facts");
  await expect(facts).toContainText("manual");
  await expect(facts).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+/);
  await expect(facts).toContainText("just now");
  const effects = dialog.getByTestId("restore-effects");
  await expect(effects).toContainText("kept in the pre-restore backup");
  await expect(effects).toContainText("users, passwords, roles");
  await expect(effects).toContainText("API tokens");
  await expect(effects).toContainText("Kept from this instance: the backup schedule");

  // The name must be typed exactly.
  const restore = dialog.getByRole("button", { name: `Restore ${name}` });
  await expect(restore).toBeDisabled();
  await dialog.getByLabel("Type the backup's name to confirm").fill(name.slice(0, -1));
  await expect(restore).toBeDisabled();
  await dialog.getByLabel("Type the backup's name to confirm").fill(name);
  await expect(restore).toBeEnabled();
  await attachScreenshot(page, testInfo, "restore-dialog");
  await readmeScreenshot(page, "restore-dialog");

  // Cancel closes it and gives focus back to the menu's button; nothing was restored.
  await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(actions).toBeFocused();

  await actions.click();
  await page.getByRole("menuitem", { name: `Restore ${name}` }).click();
  await expect(dialog.getByTestId("restore-verify")).toContainText("Verified");
  await dialog.getByLabel("Type the backup's name to confirm").fill(name);
  await dialog.getByRole("button", { name: `Restore ${name}` }).click();
  await expect(page).toHaveURL(/\/login\?restored=1/, { timeout: 30_000 });
  await expect(page.getByTestId("restored-notice")).toBeVisible();

  // The owner exists in the restored copy; the pre-restore backup is listed.
  await page.getByLabel("Username").fill(E2E.owner.username);
  await page.getByLabel("Password").fill(E2E.owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/settings/backups");
  await expect(page.getByTestId("backup-row").filter({ hasText: "pre-restore" }).first()).toBeVisible();
});
