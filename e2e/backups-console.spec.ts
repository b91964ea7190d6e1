// The Backups and Diagnostics pages saying what will happen and what did: the schedule's presets,
// words and zones; uploads checked at once with a progress bar; a file known to be bad cannot be
// restored; operators back up and verify only; an ended session links to sign-in; the download
// button is held while its snapshot is taken. At both widths where the layout differs.
import { expect, test, type Page } from "@playwright/test";
import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { queryOne } from "../tests/support/db";
import { E2E, signInThroughForm } from "./fixture";
import { attachScreenshot, expectFitsViewport, WIDTHS } from "./page-checks";

const backupDir = () => path.join(E2E.dataDir, "backups");

async function openMenu(page: Page, name: string) {
  await page.getByRole("button", { name: `Actions for ${name}` }).click();
}

for (const size of WIDTHS) {
  test(`the schedule: presets, words, the server's zone and the viewer's, saved and errors cleared (${size.name})`, async ({
    browser,
  }, testInfo) => {
    const context = await browser.newContext({
      timezoneId: "America/New_York",
      viewport: { width: size.width, height: size.height },
    });
    const page = await context.newPage();
    await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
    await page.goto("/settings/backups");
    const zone = (await page.getByTestId("server-zone").textContent())!;

    await page.getByRole("button", { name: "Daily at 03:00" }).click();
    await expect(page.getByLabel("Schedule (cron, empty = off)")).toHaveValue("0 3 * * *");
    await expect(page.getByTestId("cron-words")).toHaveText(`Every day at 03:00 (${zone})`);
    await page.getByRole("button", { name: "Every 6 hours" }).click();
    await expect(page.getByTestId("cron-words")).toContainText("Every 6 hours");

    // A wrong expression: said as it is typed, in the words the server then refuses it with; the
    // error has no markdown backticks, and goes when the input is fixed.
    const refusal = "The schedule must be a cron expression whose minute is 0 to 59 (not 61), or empty for off.";
    await page.getByLabel("Schedule (cron, empty = off)").fill("61 * * * *");
    await expect(page.getByTestId("cron-words")).toHaveText(refusal);
    await expect(page.getByLabel("Schedule (cron, empty = off)")).toHaveAttribute("aria-invalid", "true");
    await page.getByRole("button", { name: "Save schedule" }).click();
    const message = page.getByTestId("schedule-message");
    await expect(message).toHaveAttribute("data-tone", "error");
    await expect(message).toContainText(refusal);
    expect(await message.textContent()).not.toContain("`");
    await page.getByLabel("Schedule (cron, empty = off)").fill("0 3 * * *");
    await expect(message).toHaveCount(0);

    await page.getByRole("button", { name: "Save schedule" }).click();
    await expect(message).toHaveAttribute("data-tone", "success");
    await expect(message).toContainText(`Schedule saved: Every day at 03:00 (${zone})`);
    // Next run: 03:00 in the server's zone, named, with New York's time beside it.
    const next = page.getByTestId("schedule-next");
    await expect(next).toContainText(/\d{4}-\d{2}-\d{2} 03:00 \S+/);
    if (zone !== "America/New_York") await expect(next).toContainText(/E[SD]T your time/);
    await expectFitsViewport(page, `schedule at ${size.width}px`);
    await attachScreenshot(page, testInfo, `schedule-${size.name}`);

    await page.getByLabel("Schedule (cron, empty = off)").fill("");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await expect(next).toHaveText("off");
    await context.close();
  });

  test(`uploads: not SQLite and cut-off files refused at once, a good one uploaded with progress and verified (${size.name})`, async ({
    page,
  }, testInfo) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
    const made = await page.request.post("/api/admin/backups");
    const source = path.join(backupDir(), ((await made.json()) as { name: string }).name);
    await page.goto("/settings/backups");
    const input = page.getByLabel("Upload a backup (.db)");
    const message = page.getByTestId("upload-message");

    await input.setInputFiles({
      name: "random.db",
      mimeType: "application/octet-stream",
      buffer: Buffer.alloc(8192, 7),
    });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(message).toHaveAttribute("data-tone", "error");
    await expect(message).toContainText("random.db was not uploaded. Not a SQLite database");

    const whole = (await import("node:fs")).readFileSync(source);
    await input.setInputFiles({
      name: "cut.db",
      mimeType: "application/octet-stream",
      buffer: whole.subarray(0, 4096),
    });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(message).toContainText("cut.db was not uploaded. Truncated");

    const name = `uploaded-${size.name}-${Date.now()}.db`;
    await input.setInputFiles({ name, mimeType: "application/octet-stream", buffer: whole });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(message).toHaveAttribute("data-tone", "success");
    await expect(message).toContainText(`Uploaded ${name}. Verified: Restorable into this version`);
    await expect(input).toHaveValue("");
    const listed = size.name === "phone" ? "backup-card" : "backup-row";
    await expect(page.locator(`[data-testid="${listed}"][data-name="${name}"]`)).toContainText("restorable");
    await attachScreenshot(page, testInfo, `upload-${size.name}`);
  });

  test(`a file known to be bad cannot be restored, and says why (${size.name})`, async ({ page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    const name = `junk-${size.name}-${Date.now()}.db`;
    writeFileSync(path.join(backupDir(), name), "not a database ".repeat(1000));
    await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
    await page.goto("/settings/backups");
    await openMenu(page, name);
    await page.getByRole("menuitem", { name: `Verify ${name}` }).click();
    const message = page.getByTestId("backups-message");
    await expect(message).toHaveAttribute("data-tone", "error");
    await expect(message).toContainText("Not a readable SQLite database");
    const listed = size.name === "phone" ? "backup-card" : "backup-row";
    await expect(page.locator(`[data-testid="${listed}"][data-name="${name}"]`).getByTestId("verdict")).toHaveText(
      "not SQLite",
    );
    await openMenu(page, name);
    const restore = page.getByRole("menuitem", { name: `Restore ${name} (unavailable: not SQLite)` });
    await expect(restore).toHaveAttribute("aria-disabled", "true");
    await restore.click({ force: true });
    await expect(page.getByTestId("restore-dialog")).toHaveCount(0);
    await page.keyboard.press("Escape");

    // Diagnostics gives the same verdict.
    await page.goto("/settings/diagnostics");
    await expect(page.getByTestId("lifecycle").locator("tr", { hasText: name }).getByTestId("verdict")).toHaveText(
      "not SQLite",
    );
  });
}

test("an operator backs up now and verifies; downloading, restoring, deleting, uploading and the schedule are not offered", async ({
  page,
}) => {
  await signInThroughForm(page, E2E.operator.username, E2E.operator.password);
  await page.goto("/settings/backups");
  await expect(page.getByTestId("operator-note")).toBeVisible();
  await page.getByRole("button", { name: "Back up now" }).click();
  const message = page.getByTestId("backups-message");
  await expect(message).toHaveAttribute("data-tone", "success");
  const name = (await message.textContent())!.replace(/^.*Stored (\S+)\.$/, "$1");
  await openMenu(page, name);
  await expect(page.getByRole("menuitem")).toHaveCount(1);
  await page.getByRole("menuitem", { name: `Verify ${name}` }).click();
  await expect(message).toContainText("Restorable into this version");
  await expect(page.getByLabel("Upload a backup (.db)")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Save schedule" })).toHaveCount(0);
  await expect(page.getByLabel("Schedule (cron, empty = off)")).toBeDisabled();
  const audit = queryOne<{ n: number }>(
    path.join(E2E.dataDir, "opstage.db"),
    "SELECT count(*) AS n FROM AuditEvent WHERE action = 'backup.sqlite.created' AND targetId = ?",
    name,
  );
  expect(audit.n).toBe(1);
});

test("an ended session says so with a sign-in link, as an error", async ({ page, context }) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  await page.goto("/settings/backups");
  await context.clearCookies();
  await page.getByRole("button", { name: "Back up now" }).click();
  const message = page.getByTestId("backups-message");
  await expect(message).toHaveAttribute("data-tone", "error");
  await expect(message).toHaveAttribute("role", "alert");
  await expect(message).toContainText("Your session has ended");
  await message.getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login/);
});

test("a 409 is an error: uploading a name that exists", async ({ page }) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  const existing = readdirSync(backupDir()).find((file) => file.endsWith(".db") && file.startsWith("opstage-"));
  const name = `twice-${Date.now()}.db`;
  copyFileSync(path.join(backupDir(), existing!), path.join(backupDir(), name));
  await page.goto("/settings/backups");
  const { readFileSync } = await import("node:fs");
  await page.getByLabel("Upload a backup (.db)").setInputFiles({
    name,
    mimeType: "application/octet-stream",
    buffer: readFileSync(path.join(backupDir(), name)),
  });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  const message = page.getByTestId("upload-message");
  await expect(message).toHaveAttribute("data-tone", "error");
  await expect(message).toContainText(`A backup named ${name} already exists`);
});

test("the Diagnostics download is held while its snapshot is taken: a double click makes one backup", async ({
  page,
}) => {
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  await page.goto("/settings/diagnostics");
  await expect(page.getByText("SQLite's backup API is only the fallback")).toBeVisible();
  const before = readdirSync(backupDir()).filter((file) => file.endsWith(".db")).length;
  const downloadPromise = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download SQLite backup" }).dblclick();
  const download = await downloadPromise;
  await expect(page.getByTestId("download-progress")).toContainText(
    `Snapshot ${download.suggestedFilename()} taken and kept in the backup folder`,
  );
  await expect(page.getByRole("button", { name: "Download SQLite backup" })).toBeEnabled();
  expect(readdirSync(backupDir()).filter((file) => file.endsWith(".db")).length).toBe(before + 1);
});
