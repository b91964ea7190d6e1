import { expect, test } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";

test("a viewer sees replication's state and window, without the restore form", async ({ page }) => {
  await signInThroughForm(page, E2E.viewer.username, E2E.viewer.password);
  await page.getByRole("link", { name: "Replication" }).click();
  await expect(page.getByRole("heading", { name: "Replication" })).toBeVisible();
  await expect(page.getByTestId("replication-replica")).toContainText("the folder ");
  // No recipient is set for the end-to-end server: the page says the replica is plaintext.
  await expect(page.getByTestId("replication-encryption")).toContainText("not encrypted", { timeout: 30_000 });
  await expect(page.getByTestId("replication-state")).toHaveText("Replicating", { timeout: 30_000 });
  await expect(page.getByTestId("replication-window")).toContainText(" – ", { timeout: 30_000 });
  await expect(page.getByTestId("replication-moment")).toHaveCount(0);
});

// It restores the replica as it was a moment ago, so the users the other specs sign in with are
// still there afterwards, whatever order the files run in.
test("an owner restores the replica as it was at a moment and is sent to sign in again", async ({ page }) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  await page.goto("/settings/replication");
  await expect(page.getByTestId("replication-window")).toContainText(" – ", { timeout: 30_000 });
  // A moment the replica holds: its window's end (whole seconds, UTC) in the browser's zone.
  const windowText = (await page.getByTestId("replication-window").textContent())!;
  const end = new Date(windowText.split(" – ")[1]!.trim());
  const local = new Date(end.getTime() - end.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  await page.getByTestId("replication-moment").fill(local);
  let confirmText = "";
  page.once("dialog", (dialog) => {
    confirmText = dialog.message();
    void dialog.accept();
  });
  await page.getByRole("button", { name: "Restore" }).click();
  await expect(page).toHaveURL(/\/login\?restored=1/, { timeout: 60_000 });
  expect(confirmText).toContain(`Restore the replica as it was at ${end.toISOString()}?`);
  await page.getByLabel("Username").fill(E2E.owner.username);
  await page.getByLabel("Password").fill(E2E.owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
  await page.goto("/settings/backups");
  await expect(page.getByTestId("backup-row").filter({ hasText: "pre-restore" }).first()).toBeVisible();
});
