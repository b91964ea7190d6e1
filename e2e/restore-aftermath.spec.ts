// After a restore: the owners' banner, "What changed" (a role that reverted, a token that works
// again and its one-click Revoke, the settings kept) and "Undo this restore" through the same
// restore dialog, on a phone. It leaves the users as the other specs need them.
import { expect, test, type Page } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";
import { expectAccessibleEverywhere } from "./views";

type User = { id: string; username: string; role: string };

async function olga(page: Page): Promise<User> {
  const users = (await (await page.request.get("/api/admin/users")).json()) as User[];
  return users.find((user) => user.username === E2E.operator.username)!;
}

async function signInAgain(page: Page) {
  await expect(page).toHaveURL(/\/login\?restored=1/, { timeout: 60_000 });
  await page.getByLabel("Username").fill(E2E.owner.username);
  await page.getByLabel("Password").fill(E2E.owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
}

test("after a restore: the banner, What changed with Revoke, and Undo through the restore dialog", async ({ page }) => {
  test.setTimeout(240_000);
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);

  // A backup with a working token and olga an operator; then the token is revoked and olga made
  // a viewer; then the backup is restored.
  const made = await page.request.post("/api/admin/tokens", { data: { name: "comeback-e2e" } });
  expect(made.status()).toBe(201);
  const token = (await made.json()) as { id: string };
  const backup = await page.request.post("/api/admin/backups");
  expect(backup.status()).toBe(201);
  const { name } = (await backup.json()) as { name: string };
  expect((await page.request.delete(`/api/admin/tokens/${token.id}`)).status()).toBe(200);
  const operator = await olga(page);
  expect(operator.role).toBe("operator");
  expect((await page.request.patch(`/api/admin/users/${operator.id}`, { data: { role: "viewer" } })).status()).toBe(
    200,
  );
  const restored = await page.request.post("/api/admin/restore", { data: { name } });
  expect(restored.status(), await restored.text()).toBe(200);
  const { preRestore } = (await restored.json()) as { preRestore: string };
  await page.context().clearCookies();
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);

  await page.goto("/");
  const banner = page.getByTestId("restore-banner");
  await expect(banner).toContainText(`The database was restored from ${name}`);
  await expectAccessibleEverywhere(page, "the Overview with the restore banner");
  await banner.getByRole("link", { name: "What changed" }).click();
  await expect(page).toHaveURL(/\/settings\/restore-changes$/);
  await expect(page.getByTestId("restore-changes-summary")).toContainText(preRestore);
  await expect(page.getByTestId("restore-changes-users").getByRole("row", { name: /olga/ })).toContainText(
    "viewer → operator",
  );
  const tokens = page.getByTestId("restore-changes-tokens");
  await expect(tokens.getByRole("listitem").filter({ hasText: "comeback-e2e" })).toContainText(
    "was revoked before the restore; works now",
  );
  await expect(page.getByTestId("restore-changes-settings")).toContainText("Kept from this instance");
  await expectAccessibleEverywhere(page, "What changed");

  // One click revokes it, through the token revoke route.
  await tokens.getByRole("button", { name: "Revoke comeback-e2e" }).click();
  await expect(tokens.getByRole("listitem").filter({ hasText: "comeback-e2e" })).toContainText("revoked again");
  const list = (await (await page.request.get("/api/admin/tokens")).json()) as { id: string; status: string }[];
  expect(list.find((entry) => entry.id === token.id)?.status).toBe("revoked");

  // Undo, opened on a phone: the restore dialog on the pre-restore backup, title and buttons in view.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("main").getByRole("button", { name: "Undo this restore" }).click();
  const dialog = page.getByRole("dialog", { name: `Restore ${preRestore}?` });
  await expect(dialog.getByRole("heading", { name: `Restore ${preRestore}?` })).toBeInViewport();
  await expect(dialog.getByRole("button", { name: "Cancel", exact: true })).toBeInViewport();
  await expect(dialog.getByRole("button", { name: `Restore ${preRestore}` })).toBeInViewport();
  await expect(dialog.getByTestId("restore-verify")).toContainText("Verified", { timeout: 30_000 });
  await expect(dialog.getByRole("heading", { name: `Restore ${preRestore}?` })).toBeInViewport();
  await expectAccessibleEverywhere(page, "the Undo restore dialog");
  await dialog.getByLabel("Type the backup's name to confirm").fill(preRestore);
  await dialog.getByRole("button", { name: `Restore ${preRestore}` }).click();
  await signInAgain(page);

  // Undone: olga is a viewer again, as before the restore. Put her back for the other specs.
  const undone = await olga(page);
  expect(undone.role).toBe("viewer");
  expect((await page.request.patch(`/api/admin/users/${undone.id}`, { data: { role: "operator" } })).status()).toBe(
    200,
  );
  // The undo is a restore too: its banner is dismissed here.
  await expect(banner).toContainText(`The database was restored from ${preRestore}`);
  await banner.getByRole("button", { name: "Dismiss" }).click();
  await expect(banner).toHaveCount(0);
});
