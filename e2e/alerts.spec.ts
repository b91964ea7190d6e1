import { expect, test } from "@playwright/test";
import { startWebhookReceiver } from "../tests/support/alert-receivers";
import { E2E, signInThroughForm } from "./fixture";
import { confirmInDialog, followNav } from "./page-checks";

test("an owner adds a signed webhook channel, sends a test, and the key is never shown again", async ({ page }) => {
  const receiver = await startWebhookReceiver();
  try {
    await signInThroughForm(page, E2E.owner.username, E2E.owner.password);
    await followNav(page, "Alerts");
    await expect(page.getByRole("heading", { name: "Alerts" })).toBeVisible();

    await page.getByLabel("Name", { exact: true }).fill("e2e hook");
    await page.getByLabel("Webhook URL").fill(`${receiver.url}/opstage`);
    await page.getByLabel("Payload").selectOption("slack");
    await page.getByLabel(/Signing key/).fill("e2e-signing-key-never-shown");
    await page.getByRole("button", { name: "Add channel" }).click();
    const row = page.getByTestId("alert-channel-row").filter({ hasText: "e2e hook" });
    await expect(row).toBeVisible();
    await expect(row).toContainText("set");

    await row.getByRole("button", { name: "Send test" }).click();
    await expect(page.getByTestId("alerts-message")).toContainText("Delivered through e2e hook.");
    await expect(page.getByTestId("alerts-message")).toHaveAttribute("data-tone", "success");
    expect(receiver.received).toHaveLength(1);
    expect(String(receiver.received[0]!.json.text)).toContain("Test alert from Opstage");
    expect(receiver.received[0]!.headers["x-opstage-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);

    await page.reload();
    expect(await page.content()).not.toContain("e2e-signing-key-never-shown");

    await row.getByRole("button", { name: "Delete" }).click();
    await confirmInDialog(page, "Delete the alert channel e2e hook?", "Delete channel");
    await expect(row).toHaveCount(0);
  } finally {
    await receiver.close();
  }
});

test("a viewer has no Alerts page", async ({ page }) => {
  await signInThroughForm(page, E2E.viewer.username, E2E.viewer.password);
  await expect(page.getByRole("link", { name: "Alerts" })).toHaveCount(0);
  const response = await page.goto("/settings/alerts");
  expect(response?.status()).toBe(404);
});
