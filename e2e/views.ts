import type { Page } from "@playwright/test";
import { expectFitsViewport, expectNoSeriousAxeViolations, WIDTHS } from "./page-checks";

/**
 * The page as it is now (an open dialog included), at both widths in both colour schemes: no
 * serious axe finding, no horizontal scroll. Leaves the page at 1280 px in the light scheme.
 */
export async function expectAccessibleEverywhere(page: Page, what: string) {
  for (const size of WIDTHS) {
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      await expectNoSeriousAxeViolations(page, `${what} at ${size.width}px, ${colorScheme}`);
      await expectFitsViewport(page, `${what} at ${size.width}px, ${colorScheme}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "light" });
}
