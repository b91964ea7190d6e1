import { readdirSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";
import { expectAccessibleEverywhere } from "./views";

// The browser in another zone than the server (UTC), so the page must name both.
test.use({ timezoneId: "America/New_York" });

test("a viewer sees replication's state and window, without the restore form", async ({ page }) => {
  await signInThroughForm(page, E2E.viewer.username, E2E.viewer.password);
  await page.getByRole("link", { name: "Replication" }).click();
  await expect(page.getByRole("heading", { name: "Replication" })).toBeVisible();
  await expect(page.getByTestId("replication-replica")).toContainText("the folder ");
  // No recipient is set for the end-to-end server: the page says the replica is plaintext.
  await expect(page.getByTestId("replication-encryption")).toContainText("not encrypted", { timeout: 30_000 });
  await expect(page.getByTestId("replication-state")).toHaveText("Replicating", { timeout: 30_000 });
  // Human times with the zone named, never a raw ISO string; a lag never below zero.
  await expect(page.getByTestId("replication-window")).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC – /, {
    timeout: 30_000,
  });
  await expect(page.getByTestId("replication-window")).not.toContainText(/\dT\d/);
  await expect(page.getByTestId("replication-lag")).not.toContainText("-");
  await expect(page.getByTestId("replication-moment")).toHaveCount(0);
});

function checkFiles(): string[] {
  return readdirSync(E2E.dataDir).filter((name) => name.startsWith(".tmp-moment-check-"));
}

// It restores the replica as it was a moment ago, so the users the other specs sign in with are
// still there afterwards, whatever order the files run in.
test("an owner restores a moment: picker, check, typed confirmation, restored", async ({ page }) => {
  test.setTimeout(180_000);
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  await page.goto("/settings/replication");
  await expect(page.getByTestId("replication-window")).toContainText(" – ", { timeout: 30_000 });

  // A moment outside every generation is refused before anything runs.
  await page.getByLabel("Moment to restore to (your time, America/New_York)").fill("2001-01-01T00:00:00");
  await expect(page.getByTestId("replication-moment-outside")).toContainText("holds no data for that moment");
  await expect(page.getByRole("button", { name: "Check this moment…" })).toBeDisabled();

  // The window's end, in the browser's zone.
  await page.getByRole("button", { name: "Newest moment" }).click();
  await expect(page.getByTestId("replication-moment")).toHaveValue(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  const zones = page.getByTestId("replication-moment-zones");
  await expect(zones).toContainText(/\(server, (Etc\/)?UTC\)/);
  await expect(zones).toContainText("(your time, America/New_York)");
  await expectAccessibleEverywhere(page, "Replication with a moment picked");

  // Opened on a phone: the title and the buttons are in view. Checked, then cancelled: the
  // checked file is removed.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "Check this moment…" }).click();
  const dialog = page.getByRole("dialog", { name: "Restore the replica to a moment?" });
  await expect(dialog.getByRole("heading", { name: "Restore the replica to a moment?" })).toBeInViewport();
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeInViewport();
  await expect(dialog.getByRole("button", { name: "Restore this moment" })).toBeInViewport();
  await expect(dialog.getByTestId("restore-verify")).toContainText("Verified: Restorable into this version", {
    timeout: 30_000,
  });
  await expect(dialog.getByRole("heading", { name: "Restore the replica to a moment?" })).toBeInViewport();
  expect(checkFiles()).toHaveLength(1);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(checkFiles).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole("button", { name: "Check this moment…" }).click();
  await expect(dialog.getByTestId("restore-verify")).toContainText("Verified", { timeout: 30_000 });
  await expect(dialog.getByTestId("moment-restored")).toContainText(/\(server, (Etc\/)?UTC\)/);
  await expect(dialog.getByTestId("restore-effects")).toContainText("kept in the pre-restore backup");
  await expect(dialog.getByTestId("restore-effects")).toContainText("Kept from this instance: the backup schedule");
  const restore = dialog.getByRole("button", { name: "Restore this moment" });
  await expect(restore).toBeDisabled();
  await expectAccessibleEverywhere(page, "the moment restore dialog, checked");

  const confirm = dialog.getByLabel("Type the moment as the server shows it to confirm");
  const expected = (await confirm.getAttribute("placeholder"))!;
  expect(expected).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
  await confirm.fill(expected.slice(0, -1));
  await expect(restore).toBeDisabled();
  await confirm.fill(expected);
  await expect(restore).toBeEnabled();
  await restore.click();
  await expect(page).toHaveURL(/\/login\?restored=1/, { timeout: 60_000 });
  expect(checkFiles()).toEqual([]);
  await page.getByLabel("Username").fill(E2E.owner.username);
  await page.getByLabel("Password").fill(E2E.owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();

  // The banner names the restore; dismissed, it is gone for good.
  const banner = page.getByTestId("restore-banner");
  await expect(banner).toContainText("from replica the folder");
  await banner.getByRole("button", { name: "Dismiss" }).click();
  await expect(banner).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("current-user")).toBeVisible();
  await expect(banner).toHaveCount(0);
});
