import { expect, type Page } from "@playwright/test";

// What global-setup.ts started, shared with the tests through the environment.
export const E2E = {
  owner: { username: "owner", password: "owner-password-e2e" },
  viewer: { username: "vera", password: "viewer-password-e2e" },
  operator: { username: "olga", password: "operator-password-e2e" },
  get dataDir(): string {
    const dir = process.env.OPSTAGE_E2E_DATA_DIR;
    if (!dir) throw new Error("OPSTAGE_E2E_DATA_DIR is not set: run through `playwright test` (global setup)");
    return dir;
  },
};

/** Signs in through the real login form (an unsigned visit is redirected there first). */
export async function signInThroughForm(page: Page, username: string, password: string) {
  await page.goto("/settings/diagnostics");
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
}
