// Every console page and every state a person meets on it — open menus and dialogs, a secret
// shown once, a refusal, an error, an empty list — as every role, light and dark, at 1280×800 and
// 390×844: no wider than the viewport, no serious or critical axe-core violation (WCAG 2.0/2.1
// A and AA), its own title, the current page marked in the nav, a dark page in dark mode, a skip
// link, and the header usable on a phone. One test (one sign-in) per role walks all four
// combinations, switching the viewport and the colour scheme in place: a browser per case would
// cost more than the checks. Screenshots of each page go into the report.
import { expect, test, type Page } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";
import {
  attachScreenshot,
  expectFitsViewport,
  expectNoSeriousAxeViolations,
  followNav,
  openSettingsMenu,
  WIDTHS,
} from "./page-checks";

type Role = "owner" | "operator" | "viewer";

const PAGES: { path: string; title: string | RegExp; nav: string; roles?: Role[] }[] = [
  { path: "/", title: "Overview · Opstage CE", nav: "Overview" },
  { path: "/settings/backups", title: "Backups · Opstage CE", nav: "Backups" },
  { path: "/settings/replication", title: "Replication · Opstage CE", nav: "Replication" },
  { path: "/settings/diagnostics", title: "Diagnostics · Opstage CE", nav: "Diagnostics" },
  { path: "/settings/audit", title: /Audit log/, nav: "Audit log" },
  { path: "/settings/users", title: /Users/, nav: "Users", roles: ["owner"] },
  { path: "/settings/alerts", title: "Alerts · Opstage CE", nav: "Alerts", roles: ["owner"] },
  { path: "/settings/tokens", title: /API tokens/, nav: "API tokens", roles: ["owner"] },
  { path: "/settings/account", title: /account/i, nav: "My account" },
];

const ROLES = [
  { role: "owner", ...E2E.owner },
  { role: "operator", ...E2E.operator },
  { role: "viewer", ...E2E.viewer },
] as const;

const SCHEMES = ["light", "dark"] as const;
const COMBINATIONS = WIDTHS.flatMap((size) => SCHEMES.map((scheme) => ({ size, scheme })));

// An offsite target nothing listens on: the backups list and the Overview show a copy failing.
const UNREACHABLE_TARGET = {
  endpoint: "http://127.0.0.1:9",
  region: "us-east-1",
  bucket: "unreachable",
  prefix: "every-page",
  pathStyle: true,
  accessKeyId: "every-page",
  secretAccessKey: "every-page-secret",
  recipient: null,
  kinds: ["manual"],
  keepScheduled: 3,
};

test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage();
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  expect((await page.request.put("/api/admin/offsite", { data: UNREACHABLE_TARGET })).status()).toBe(200);
  // A stored backup, so Backups and Diagnostics have rows to lay out (and one offsite copy failing).
  expect((await page.request.post("/api/admin/backups")).status()).toBe(201);
  await page.close();
});

test.afterAll(async ({ browser }) => {
  const page = await browser.newPage();
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  expect((await page.request.delete("/api/admin/offsite")).status()).toBeLessThan(300);
  await page.close();
});

/** The checks every state gets: fits the viewport, and axe finds nothing serious. */
async function checkState(page: Page, what: string) {
  await expectFitsViewport(page, what);
  await expectNoSeriousAxeViolations(page, what);
}

/** The body's background is dark: Chromium computes Tailwind v4's colours as lab(L a b), L 0–100. */
async function expectDarkPage(page: Page, what: string) {
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const lightness = Number(/^lab\(([\d.]+)/.exec(background)?.[1] ?? Number.NaN);
  expect.soft(lightness, `${what}: body background ${background}`).toBeLessThan(30);
}

async function openFirstActionMenu(page: Page) {
  await page
    .getByRole("button", { name: /^Actions for / })
    .first()
    .click();
  await expect(page.getByRole("menu")).toBeVisible();
}

/** Backups: the action menu, the delete question, a bad schedule and its refusal, a success. */
async function backupsStates(page: Page, role: Role, what: (state: string) => string) {
  await page.goto("/settings/backups");
  if (role === "viewer") return;
  await openFirstActionMenu(page);
  await checkState(page, what("backups, action menu open"));
  await page.keyboard.press("Escape");
  if (role !== "owner") return;

  await openFirstActionMenu(page);
  await page.getByRole("menuitem", { name: /^Delete / }).click();
  const dialog = page.getByRole("dialog", { name: /^Delete .*\?$/ });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Cancel", exact: true })).toBeFocused();
  await checkState(page, what("backups, delete dialog"));
  await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(dialog).toBeHidden();

  const cron = page.getByLabel("Schedule (cron, empty = off)");
  await cron.fill("61 * * * *");
  await expect(page.getByTestId("cron-words")).toHaveAttribute("data-problem", "true");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByTestId("schedule-message")).toHaveAttribute("data-tone", "error");
  await checkState(page, what("backups, bad schedule refused"));

  await openFirstActionMenu(page);
  await page.getByRole("menuitem", { name: /^Verify / }).click();
  // Which verdict depends on the backup the other specs left first; either is a state to check.
  await expect(page.getByTestId("backups-message")).toHaveAttribute("data-tone", /^(success|error)$/, {
    timeout: 30_000,
  });
  await checkState(page, what("backups, a verification's notice"));
}

/** Tokens: a token shown once, and the revoke question. */
async function tokenStates(page: Page, label: string, what: (state: string) => string) {
  await page.goto("/settings/tokens");
  await page.getByLabel("Name").fill(`every-page ${label}`);
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-token")).toBeVisible();
  await checkState(page, what("tokens, a new token shown"));
  await page.getByRole("button", { name: "Revoke" }).first().click();
  await expect(page.getByRole("dialog", { name: /^Revoke the token / })).toBeVisible();
  await checkState(page, what("tokens, revoke dialog"));
  await page.keyboard.press("Escape");
}

/** Users: a generated password shown, a refusal that keeps the form, the delete question. */
async function userStates(page: Page, label: string, what: (state: string) => string) {
  await page.goto("/settings/users");
  const form = page.getByRole("form", { name: "New user" });
  const username = `axe-${label}`;
  await form.getByLabel("Username").fill(username);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId("generated-password")).toBeVisible();
  await checkState(page, what("users, a generated password shown"));

  // The same username again: refused, and what was typed stays to correct.
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Display name").fill("Typed before the refusal");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId("users-message")).toHaveAttribute("data-tone", "error");
  await expect(page.getByTestId("users-message")).toContainText(`User ${username} already exists.`);
  await expect(form.getByLabel("Username")).toHaveValue(username);
  await expect(form.getByLabel("Display name")).toHaveValue("Typed before the refusal");
  await checkState(page, what("users, a refused form"));

  await page.locator(`[data-username="${username}"]`).getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: `Delete user ${username}?` });
  await expect(dialog.getByRole("button", { name: "Cancel", exact: true })).toBeFocused();
  await checkState(page, what("users, delete dialog"));
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  // The audit list and the Overview name the new user, not its id.
  await page.goto("/settings/audit?action=user.created");
  await expect(page.getByTestId("audit-target-name").filter({ hasText: username })).toHaveCount(1);
  await page.goto("/");
  await expect(page.getByTestId("audit-target-name").filter({ hasText: username })).toHaveCount(1);
}

/** My account: the sign-out-everywhere question, and a refused password change. */
async function accountStates(page: Page, what: (state: string) => string) {
  await page.goto("/settings/account");
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  const dialog = page.getByRole("dialog", { name: "Sign out everywhere?" });
  await expect(dialog.getByRole("button", { name: "Cancel", exact: true })).toBeFocused();
  await checkState(page, what("account, sign out everywhere dialog"));
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  await page.getByLabel("Current password").fill("not-the-password-at-all");
  await page.getByLabel("New password", { exact: true }).fill("a-new-password-123");
  await page.getByLabel("New password again").fill("a-different-one-123");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("account-notice")).toHaveAttribute("data-tone", "error");
  await expect(page.getByLabel("New password again")).toHaveValue("a-different-one-123");
  await checkState(page, what("account, a refused password change"));
}

/** The nav: one line at 1280 px holding only what the role can use; the Settings menu or the phone menu open. */
async function navStates(page: Page, role: Role, phone: boolean, what: (state: string) => string) {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Console" });
  if (role !== "owner") await expect(nav.getByRole("link", { name: "API tokens" })).toHaveCount(0);
  if (phone) {
    await nav.getByRole("button", { name: "Menu" }).click();
    await expect(nav.getByRole("link", { name: "Diagnostics", exact: true })).toBeVisible();
    await checkState(page, what("phone menu open"));
    await nav.getByRole("button", { name: "Close menu" }).click();
    return;
  }
  const tops = await nav
    .locator(":scope > ul > li")
    .evaluateAll((items) =>
      items
        .filter((item) => item.getClientRects().length > 0)
        .map((item) => Math.round(item.getBoundingClientRect().top)),
    );
  expect.soft(new Set(tops).size, `${what("nav")}: the nav's items sit on one line (tops ${tops})`).toBe(1);
  if (role === "owner") {
    await openSettingsMenu(page);
    await expect(nav.getByRole("link", { name: "API tokens" })).toBeVisible();
    await checkState(page, what("settings menu open"));
    await page.keyboard.press("Escape");
    await expect(nav.getByRole("link", { name: "API tokens" })).toBeHidden();
  }
}

for (const who of ROLES) {
  test(`every page and state as ${who.role}, light and dark, at 1280 and 390 px`, async ({ page }, testInfo) => {
    test.setTimeout(480_000);
    await signInThroughForm(page, who.username, who.password);
    for (const { size, scheme } of COMBINATIONS) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.emulateMedia({ colorScheme: scheme });
      const label = `${scheme}-${size.width}`;
      const what = (state: string) => `${state} as ${who.role}, ${scheme}, ${size.width}px`;

      for (const entry of PAGES.filter((p) => !p.roles || p.roles.includes(who.role))) {
        await page.goto(entry.path);
        await expect(page.locator("main h1").first()).toBeVisible();
        await expect(page).toHaveTitle(entry.title);
        await expect(page.locator(`nav[aria-label="Console"] a[aria-current="page"]`).first()).toHaveText(entry.nav);
        if (scheme === "dark") await expectDarkPage(page, what(entry.path));
        await checkState(page, what(entry.path));
        // Pictures of three of the four combinations are enough for the report, and each costs time.
        if (scheme === "light" || size.name === "desktop") {
          await attachScreenshot(page, testInfo, `${label}-${who.role}-${entry.path.replaceAll("/", "_") || "root"}`);
        }
      }
      for (const entry of PAGES.filter((p) => p.roles && !p.roles.includes(who.role))) {
        expect((await page.goto(entry.path))?.status(), `${entry.path} as ${who.role}`).toBe(404);
      }

      // The Overview: the backups' state before the info cards.
      await page.goto("/");
      await expect(page.locator("main h1 + [data-testid=backup-health-card]")).toHaveCount(1);

      // An audit event's own page.
      await page.goto("/settings/audit");
      await page.getByTestId("audit-action").first().getByRole("link").click();
      await expect(page).toHaveTitle("Audit event · Opstage CE");
      await checkState(page, what("an audit event"));

      // Backup names: at most two lines in the table at 1280 px.
      if (size.name === "desktop") {
        await page.goto("/settings/backups");
        // The lines an inline element takes: its client rects' distinct tops (one rect per text run).
        const names = await page.locator("[data-testid=backup-row] [data-testid=backup-name]").evaluateAll((spans) =>
          spans.map((span) => ({
            name: span.textContent,
            lines: new Set([...span.getClientRects()].map((rect) => Math.round(rect.top))).size,
          })),
        );
        expect(names.length).toBeGreaterThan(0);
        for (const { name, lines } of names) expect.soft(lines, what(`the name ${name}`)).toBeLessThanOrEqual(2);
      }

      await navStates(page, who.role, size.name === "phone", what);
      await backupsStates(page, who.role, what);
      await accountStates(page, what);
      if (who.role === "owner") {
        await tokenStates(page, label, what);
        await userStates(page, label, what);
        // The pages reached from others rather than from the nav: inside a backup, and what the
        // last restore changed (its empty state when there was none).
        const listed = (await (await page.request.get("/api/admin/backups")).json()) as { backups: { name: string }[] };
        await page.goto(`/settings/backups/${encodeURIComponent(listed.backups[0]!.name)}`);
        await expect(page).toHaveTitle("Inside a backup · Opstage CE");
        await expect(page.locator("main h1").first()).toBeVisible();
        await checkState(page, what("inside a backup"));
        await page.goto("/settings/restore-changes");
        await expect(page).toHaveTitle("What the restore changed · Opstage CE");
        await checkState(page, what("what the restore changed"));
      }

      // The header: Sign out in view; on a phone the nav is behind a Menu button.
      await page.goto("/settings/backups");
      const signOut = page.getByRole("banner").getByRole("button", { name: "Sign out", exact: true });
      await expect(signOut).toBeInViewport();
      if (size.name === "phone") {
        await expect(page.getByRole("link", { name: "Diagnostics", exact: true })).toBeHidden();
        await page.getByRole("button", { name: "Menu" }).click();
        await page.getByRole("link", { name: "Diagnostics", exact: true }).click();
        await expect(page).toHaveURL(/\/settings\/diagnostics$/);
        await expect(page.getByRole("link", { name: "Diagnostics", exact: true })).toBeHidden();
      } else {
        await followNav(page, "My account");
        await expect(page).toHaveURL(/\/settings\/account$/);
      }

      // The skip link (on a freshly loaded page) is the first stop and moves focus to the page's content.
      await page.goto("/settings/backups");
      await page.keyboard.press("Tab");
      const skip = page.getByRole("link", { name: "Skip to content" });
      await expect(skip).toBeFocused();
      await page.keyboard.press("Enter");
      await expect(page.locator("main#main")).toBeFocused();
    }
  });
}

test("the sign-in page and its refusal, light and dark, at 1280 and 390 px", async ({ browser, baseURL }) => {
  for (const { size, scheme } of COMBINATIONS) {
    const context = await browser.newContext({ baseURL, viewport: size, colorScheme: scheme });
    const page = await context.newPage();
    const what = (state: string) => `${state}, ${scheme}, ${size.width}px`;
    await page.goto("/login");
    await checkState(page, what("sign-in"));
    await page.getByLabel("Username").fill("nobody-every-page");
    await page.getByLabel("Password").fill("not-a-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("login-error")).toBeVisible();
    await checkState(page, what("sign-in refused"));
    await context.close();
  }
});
