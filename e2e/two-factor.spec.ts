// Two-factor sign-in in the browser: set up on My account (QR code, key, a current code computed
// here as the authenticator app would), recovery codes shown once, then the login form's code
// step. The enrolment and the code step at 1280 and 390 px, light and dark, free of serious axe
// violations.
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { expect, test, type Page } from "@playwright/test";
import { E2E, signInThroughForm } from "./fixture";
import { attachScreenshot, expectFitsViewport, expectNoSeriousAxeViolations, WIDTHS } from "./page-checks";

function totp(secret: string, offset = 0): string {
  const step = Math.floor(Date.now() / 30_000) + offset;
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(step), 6);
}

const USER = { username: "terry", password: "terry-password-e2e" };

test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage();
  await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
  const created = await page.request.post("/api/admin/users", {
    data: { username: USER.username, role: "operator", password: USER.password },
  });
  expect(created.status()).toBe(201);
  await page.context().close();
});

async function checks(page: Page, what: string, testInfo: Parameters<typeof attachScreenshot>[1]) {
  await expectFitsViewport(page, what);
  await expectNoSeriousAxeViolations(page, what);
  await attachScreenshot(page, testInfo, what);
}

test("set up on My account, then sign in with a code from the authenticator", async ({ browser }, testInfo) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInThroughForm(page, USER.username, USER.password);
  // The page OPSTAGE_REQUIRE_2FA sends a user to (open to anyone signed in).
  await page.goto("/two-factor");
  await expect(page.getByRole("button", { name: "Set up two-factor sign-in" })).toBeVisible();
  await checks(page, "two-factor-page-desktop-light", testInfo);
  await page.goto("/settings/account");
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(page.getByRole("img", { name: "QR code of the authenticator key" })).toBeVisible();
  const secret = (await page.getByTestId("totp-secret").textContent())!.replaceAll(" ", "");
  await checks(page, "two-factor-enrolment-desktop-light", testInfo);
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByTestId("recovery-codes").getByRole("listitem")).toHaveCount(10);
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByTestId("two-factor-status")).toContainText("10 of 10 recovery codes left");
  await context.close();

  for (const size of WIDTHS) {
    for (const colorScheme of ["light", "dark"] as const) {
      const other = await browser.newContext({ colorScheme, viewport: { width: size.width, height: size.height } });
      const login = await other.newPage();
      await login.goto("/settings/account");
      await login.getByLabel("Username").fill(USER.username);
      await login.getByLabel("Password").fill(USER.password);
      await login.getByRole("button", { name: "Sign in" }).click();
      const code = login.getByLabel("Authentication code");
      await expect(code).toBeFocused();
      await expect(code, "nothing typed before is carried into the code field").toHaveValue("");
      await checks(login, `two-factor-login-${size.name}-${colorScheme}`, testInfo);
      await code.fill("000000" === totp(secret, 1) ? "111111" : "000000");
      await login.getByRole("button", { name: "Verify" }).click();
      await expect(login.getByTestId("login-error")).toContainText("That code is not right");
      await other.close();
    }
  }

  // Each code signs in once: the next step's code (the enrolment used this one), in a new browser.
  const later = await browser.newContext();
  const login = await later.newPage();
  await login.goto("/settings/account");
  await login.getByLabel("Username").fill(USER.username);
  await login.getByLabel("Password").fill(USER.password);
  await login.getByRole("button", { name: "Sign in" }).click();
  await login.getByLabel("Authentication code").fill(totp(secret, 1));
  await login.getByRole("button", { name: "Verify" }).click();
  await expect(login.getByTestId("current-user")).toBeVisible();
  await later.close();
});
