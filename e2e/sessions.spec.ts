// Sessions you can see: My account lists every browser signed in as you; ending another one from
// the list signs that browser out at its next request. Owners see and end a user's sessions on
// Users. Both pages at 1280 and 390 px, light and dark, free of serious axe violations.
import { expect, test, type Browser, type Page, type TestInfo } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";
import {
  attachScreenshot,
  confirmInDialog,
  expectFitsViewport,
  expectNoSeriousAxeViolations,
  WIDTHS,
} from "./page-checks";

// The second browser says it is Chrome on Windows, so its row is told apart from the first's.
const WINDOWS_CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

async function browserAs(browser: Browser, who: { username: string; password: string }, userAgent?: string) {
  const context = await browser.newContext({ userAgent });
  const page = await context.newPage();
  await signInThroughForm(page, who.username, who.password);
  return page;
}

test("a second browser ended from the first's list is signed out at its next request", async ({ browser }) => {
  const first = await browserAs(browser, E2E.viewer);
  const second = await browserAs(browser, E2E.viewer, WINDOWS_CHROME);
  await first.goto("/settings/account");
  const list = first.getByRole("region", { name: "Your sessions" });
  const mine = list.locator('[data-testid="session-row"][data-current="true"]');
  await expect(mine).toHaveCount(1);
  await expect(mine).toContainText("this one");
  const theirs = list.getByTestId("session-row").filter({ hasText: "Chrome 131 on Windows 10" });
  await expect(theirs).toHaveCount(1);

  await theirs.getByRole("button", { name: /^End the session of Chrome 131/ }).click();
  await confirmInDialog(first, "End the session of Chrome 131 on Windows 10?", "End session");
  await expect(first.getByTestId("sessions-notice")).toContainText("Ended the session of Chrome 131 on Windows 10");
  await expect(theirs).toHaveCount(0);
  expect((await second.request.get("/api/account")).status()).toBe(401);
  await second.goto("/settings/account");
  await expect(second).toHaveURL(/\/login/);
  expect((await first.request.get("/api/account")).status()).toBe(200);
  await first.context().close();
  await second.context().close();
});

test("an owner ends a user's sessions from Users", async ({ browser }) => {
  const owner = await browserAs(browser, E2E.owner);
  const operator = await browserAs(browser, E2E.operator, WINDOWS_CHROME);
  await owner.goto("/settings/users");
  await owner.locator(`[data-username="${E2E.operator.username}"]`).getByRole("button", { name: "Sessions" }).click();
  const list = owner.getByRole("region", { name: `Sessions of ${E2E.operator.username}` });
  await expect(list.getByTestId("session-row").filter({ hasText: "Chrome 131 on Windows 10" })).toHaveCount(1);
  await owner.getByRole("button", { name: "End all", exact: true }).click();
  await confirmInDialog(owner, `End every session of ${E2E.operator.username}?`, "End all");
  await expect(owner.getByTestId("sessions-notice")).toContainText("Ended");
  await expect(list.getByText("No active sessions.")).toBeVisible();
  expect((await operator.request.get("/api/account")).status()).toBe(401);
  await owner.context().close();
  await operator.context().close();
});

async function checkSessionPages(page: Page, what: string, testInfo: TestInfo) {
  await page.goto("/settings/account");
  await expect(page.getByRole("region", { name: "Your sessions" }).getByTestId("session-row").first()).toBeVisible();
  await expectFitsViewport(page, `/settings/account ${what}`);
  await expectNoSeriousAxeViolations(page, `/settings/account ${what}`);
  await attachScreenshot(page, testInfo, `sessions-account-${what}`);
  await page.goto("/settings/users");
  await page.locator(`[data-username="${E2E.owner.username}"]`).getByRole("button", { name: "Sessions" }).click();
  await expect(
    page
      .getByRole("region", { name: `Sessions of ${E2E.owner.username}` })
      .getByTestId("session-row")
      .first(),
  ).toBeVisible();
  await expectFitsViewport(page, `/settings/users sessions ${what}`);
  await expectNoSeriousAxeViolations(page, `/settings/users sessions ${what}`);
  await attachScreenshot(page, testInfo, `sessions-users-${what}`);
}

for (const size of WIDTHS) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`the session lists at ${size.width}px, ${colorScheme}`, async ({ browser }, testInfo) => {
      const context = await browser.newContext({
        colorScheme,
        viewport: { width: size.width, height: size.height },
      });
      const page = await context.newPage();
      await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
      await checkSessionPages(page, `${size.name}-${colorScheme}`, testInfo);
      await context.close();
    });
  }
}
