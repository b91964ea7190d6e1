// Every console page as every role, at 1280×800 and 390×844: no wider than the viewport, no
// serious or critical axe-core violation, its own title, the current page marked in the nav,
// a skip link, and the header usable on a phone. Screenshots of each go into the report.
import { expect, test } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";
import { attachScreenshot, expectFitsViewport, expectNoSeriousAxeViolations, WIDTHS } from "./page-checks";

const PAGES = [
  { path: "/", title: "Overview · Opstage CE", nav: "Overview", owner: false },
  { path: "/settings/backups", title: "Backups · Opstage CE", nav: "Backups", owner: false },
  { path: "/settings/replication", title: "Replication · Opstage CE", nav: "Replication", owner: false },
  { path: "/settings/tokens", title: /API tokens/, nav: "API tokens", owner: false },
  { path: "/settings/diagnostics", title: "Diagnostics · Opstage CE", nav: "Diagnostics", owner: false },
  { path: "/settings/users", title: /Users/, nav: "Users", owner: true },
  { path: "/settings/alerts", title: "Alerts · Opstage CE", nav: "Alerts", owner: true },
  { path: "/settings/audit", title: /Audit log/, nav: "Audit log", owner: false },
  { path: "/settings/account", title: /account/i, nav: "My account", owner: false },
];

const ROLES = [
  { role: "owner", ...E2E.owner },
  { role: "operator", ...E2E.operator },
  { role: "viewer", ...E2E.viewer },
] as const;

test.beforeAll(async ({ browser }) => {
  // A stored backup, so Backups and Diagnostics have rows to lay out.
  const page = await browser.newPage();
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  const response = await page.request.post("/api/admin/backups");
  expect(response.status()).toBe(201);
  await page.close();
});

for (const size of WIDTHS) {
  for (const who of ROLES) {
    test(`every page as ${who.role} at ${size.width}×${size.height}`, async ({ page }, testInfo) => {
      test.setTimeout(180_000);
      await page.setViewportSize({ width: size.width, height: size.height });
      await signInThroughForm(page, who.username, who.password);
      for (const entry of PAGES.filter((p) => who.role === "owner" || !p.owner)) {
        await page.goto(entry.path);
        await expect(page.locator("main h1").first()).toBeVisible();
        await expect(page).toHaveTitle(entry.title);
        const what = `${entry.path} as ${who.role} at ${size.width}px`;
        await expect(page.locator(`nav[aria-label="Console"] a[aria-current="page"]`).first()).toHaveText(entry.nav);
        await expectFitsViewport(page, what);
        await expectNoSeriousAxeViolations(page, what);
        await attachScreenshot(page, testInfo, `${size.name}-${who.role}-${entry.path.replaceAll("/", "_") || "root"}`);
      }

      // The header: Sign out in view; on a phone the nav is behind a Menu button.
      const signOut = page.getByRole("banner").getByRole("button", { name: "Sign out", exact: true });
      await expect(signOut).toBeInViewport();
      if (size.name === "phone") {
        await expect(page.getByRole("link", { name: "Diagnostics", exact: true })).toBeHidden();
        await page.getByRole("button", { name: "Menu" }).click();
        await page.getByRole("link", { name: "Diagnostics", exact: true }).click();
        await expect(page).toHaveURL(/\/settings\/diagnostics$/);
        await expect(page.getByRole("link", { name: "Diagnostics", exact: true })).toBeHidden();
      }

      // The skip link (on a freshly loaded page) is the first stop and moves focus to the page's content.
      await page.goto("/settings/backups");
      await page.keyboard.press("Tab");
      const skip = page.getByRole("link", { name: "Skip to content" });
      await expect(skip).toBeFocused();
      await page.keyboard.press("Enter");
      await expect(page.locator("main#main")).toBeFocused();
    });
  }
}

test("dark mode follows the OS, and stays free of serious axe violations", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ colorScheme: "dark", viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  for (const path of ["/", "/settings/backups", "/settings/diagnostics", "/settings/replication", "/settings/alerts"]) {
    await page.goto(path);
    // The page's background is dark: Chromium computes Tailwind v4's colours as lab(L a b),
    // L from 0 (black) to 100 (white).
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const lightness = Number(/^lab\(([\d.]+)/.exec(background)?.[1] ?? Number.NaN);
    expect(lightness, `body background ${background}`).toBeLessThan(30);
    await expectNoSeriousAxeViolations(page, `${path} in dark mode`);
    await attachScreenshot(page, testInfo, `dark-${path.replaceAll("/", "_") || "root"}`);
  }
  await context.close();
});
