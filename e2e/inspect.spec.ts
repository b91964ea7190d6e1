// Inside a backup: the restore dialog's preview (what the restore changes), and the backup's
// own page (browse, compare), as an owner, in light and dark.
import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { E2E, signInThroughForm } from "./fixture";
import { projectRoot } from "../tests/support/server";
import { attachScreenshot, expectFitsViewport, expectNoSeriousAxeViolations } from "./page-checks";

// `OPSTAGE_README_SCREENSHOTS=1 npx playwright test e2e/inspect.spec.ts` refreshes the README's
// pictures of browse and compare from this build.
async function readmeScreenshot(page: Page, name: string) {
  if (process.env.OPSTAGE_README_SCREENSHOTS !== "1") return;
  await page.screenshot({ path: path.join(projectRoot, "docs", "screenshots", `${name}.png`), fullPage: true });
}

async function checkBothSchemes(page: Page, what: string) {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await expectNoSeriousAxeViolations(page, `${what} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** A backup made now, then a token created after it: the live database differs by that token. */
async function backupThenChange(page: Page, token: string): Promise<string> {
  const made = await page.request.post("/api/admin/backups");
  expect(made.status()).toBe(201);
  const { name } = (await made.json()) as { name: string };
  const created = await page.request.post("/api/admin/tokens", { data: { name: token, expiresInDays: null } });
  expect(created.status()).toBe(201);
  return name;
}

test("the restore dialog previews what the restore changes, before the typed confirmation", async ({
  page,
}, testInfo) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  const name = await backupThenChange(page, "e2e-preview");
  await page.goto("/settings/backups");
  await page.setViewportSize({ width: 1280, height: 900 });
  const row = page.locator(`[data-testid="backup-row"][data-name="${name}"]`);
  await row.getByRole("button", { name: `Actions for ${name}` }).click();
  await page.getByRole("menuitem", { name: `Restore ${name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Restore ${name}?` });
  await expect(dialog.getByTestId("restore-verify")).toContainText("Verified");

  const preview = dialog.getByTestId("restore-preview");
  await expect(preview).toContainText("the live database → this backup");
  const lines = preview.getByTestId("compare-domain");
  await expect(lines).toContainText("token e2e-preview: works → gone", { timeout: 30_000 });
  await expect(lines).toContainText(/audit events? removed/);
  await expect(preview.locator('[data-testid="compare-table"][data-table="ApiToken"]')).toContainText(
    "0 added, 1 removed",
  );
  // The preview comes before the typed confirmation, which still guards the button.
  await expect(dialog.getByRole("button", { name: `Restore ${name}` })).toBeDisabled();
  await checkBothSchemes(page, "restore dialog with its preview");
  await attachScreenshot(page, testInfo, "restore-preview");
  await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(dialog).toBeHidden();
});

test("an owner browses a backup and compares it with the live database", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  const name = await backupThenChange(page, "e2e-browse");
  await page.goto("/settings/backups");
  await page.setViewportSize({ width: 1280, height: 900 });
  const row = page.locator(`[data-testid="backup-row"][data-name="${name}"]`);
  await row.getByRole("button", { name: `Actions for ${name}` }).click();
  await page.getByRole("menuitem", { name: `Browse and compare ${name}` }).click();
  await expect(page).toHaveURL(new RegExp(`/settings/backups/${name.replace(/\./g, "\\.")}$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Inside ${name}`);
  await expect(page).toHaveTitle("Inside a backup · Opstage CE");

  const domain = page.getByTestId("domain-views");
  await expect(domain.getByRole("region", { name: "Users in the backup" })).toContainText(E2E.owner.username);
  await page.getByTestId("tables").getByRole("button", { name: "User", exact: true }).click();
  const rows = page.getByTestId("table-rows");
  await expect(rows.getByRole("region", { name: "Rows of User" })).toContainText("••••••");
  await expect(rows.getByRole("link", { name: "Export User as CSV" })).toBeVisible();
  await expectFitsViewport(page, "the backup's page");
  await checkBothSchemes(page, "the backup's page");
  await attachScreenshot(page, testInfo, "browse");
  await readmeScreenshot(page, "browse");

  const compare = page.getByTestId("compare");
  await compare.getByRole("button", { name: "Compare with this backup" }).click();
  await expect(compare.getByTestId("compare-domain")).toContainText("token e2e-browse: works → gone", {
    timeout: 30_000,
  });
  await compare.locator('[data-testid="compare-table"][data-table="ApiToken"] summary').click();
  await expectFitsViewport(page, "the comparison");
  await checkBothSchemes(page, "the comparison");
  await attachScreenshot(page, testInfo, "compare");
  await compare.scrollIntoViewIfNeeded();
  if (process.env.OPSTAGE_README_SCREENSHOTS === "1") {
    await compare.screenshot({ path: path.join(projectRoot, "docs", "screenshots", "compare.png") });
  }

  // On a phone the page still fits.
  await page.setViewportSize({ width: 390, height: 844 });
  await expectFitsViewport(page, "the backup's page on a phone");
});

test("operators and viewers have no backup page and no Browse item", async ({ page }) => {
  await signInThroughForm(page, E2E.operator.username, E2E.operator.password);
  const response = await page.goto("/settings/backups/opstage-20260101T000000.000Z.db");
  expect(response?.status()).toBe(404);
});
