import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, type TestInfo } from "@playwright/test";

export const WIDTHS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

/** No horizontal scroll: the document is no wider than the viewport. */
export async function expectFitsViewport(page: Page, what: string) {
  const { scrollWidth, innerWidth, widest } = await page.evaluate(() => {
    // The innermost elements reaching past the right edge, to name in the failure.
    const past = [...document.querySelectorAll("body *")].filter(
      (element) => element.getBoundingClientRect().right > window.innerWidth + 0.5,
    );
    const innermost = past.filter((element) => !past.some((other) => other !== element && element.contains(other)));
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      widest: innermost
        .slice(0, 5)
        .map(
          (element) =>
            `<${element.tagName.toLowerCase()} class="${element.className}">${element.textContent?.slice(0, 40)}`,
        ),
    };
  });
  expect
    .soft(
      scrollWidth,
      `${what}: the page is ${scrollWidth}px wide in a ${innerWidth}px viewport; past the edge: ${widest.join(" | ")}`,
    )
    .toBeLessThanOrEqual(innerWidth);
}

/** axe-core (WCAG 2 A/AA): no serious or critical violation. */
/** Once what is fading in has arrived (a notice, a dialog, a menu); endless animations never finish. */
export async function animationsSettled(page: Page) {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getTiming().iterations !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
}

export async function expectNoSeriousAxeViolations(page: Page, what: string) {
  // axe measures the colours as they are now, and half-way through a fade any text is low-contrast.
  await animationsSettled(page);
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
  expect.soft(serious, `${what}: axe found serious or critical violations`).toEqual([]);
}

export async function attachScreenshot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
}

/**
 * Opens the nav's "Settings" disclosure. A click before React has hydrated the page opens
 * nothing, so it clicks again until the disclosure says it is open (a click on an open one would
 * close it).
 */
export async function openSettingsMenu(page: Page) {
  const settings = page.getByRole("navigation", { name: "Console" }).getByRole("button", { name: /^Settings/ });
  await expect(async () => {
    if ((await settings.getAttribute("aria-expanded")) !== "true") await settings.click();
    await expect(settings).toHaveAttribute("aria-expanded", "true", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
}

/**
 * Follows a console nav link by its name, as a person at 1280 px does: a settings page is behind
 * the "Settings" disclosure for owners, a plain link otherwise.
 */
export async function followNav(page: Page, label: string) {
  const link = page
    .getByRole("navigation", { name: "Console" })
    .getByRole("link", { name: label, exact: true })
    .first();
  if (!(await link.isVisible())) await openSettingsMenu(page);
  await link.click();
}

/**
 * Answers the console's confirm dialog (confirm-dialog.tsx): it names the object in its title,
 * opens with Cancel focused, and `action` does it.
 */
export async function confirmInDialog(page: Page, title: string | RegExp, action: string) {
  const dialog = page.getByRole("dialog", { name: title });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Cancel", exact: true })).toBeFocused();
  await dialog.getByRole("button", { name: action, exact: true }).click();
  await expect(dialog).toBeHidden();
}
