// The walk through Users, My account, sessions and the audit log, on a server of its own
// whose first owner has a generated password (as `run.sh` starts it).
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { startServer, type RunningServer } from "../tests/support/server";
import { tempDir } from "../tests/support/temp";
import { confirmInDialog, followNav } from "./page-checks";

let server: RunningServer;
let generatedPassword: string;
const contexts: BrowserContext[] = [];
const cspViolations: string[] = [];

test.beforeAll(async () => {
  server = await startServer({ dataDir: tempDir("opstage-e2e-users-") });
  generatedPassword = server.output().match(/generated password \(shown once[^)]*\): (\S+)/)![1]!;
});

test.afterAll(async () => {
  // Closed first: a page still polling the audit log keeps the server's connections busy, and
  // the server's graceful stop waits for them.
  for (const context of contexts) await context.close();
  await server?.stop();
});

/** A fresh browser context (its own cookies) whose CSP violations are collected. */
async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url });
  contexts.push(context);
  const page = await context.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

async function signIn(page: Page, username: string, password: string, path = "/login") {
  await page.goto(path);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
}

const nav = (page: Page) => page.getByRole("navigation");

test("owner changes the generated password, creates an operator and a viewer, resets a password mid-session, filters and exports the audit log", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const owner = await newPage(browser);
  // The crafted callbackUrl of the open-redirect report lands on the console, not on another host.
  await signIn(owner, "admin", generatedPassword, "/login?callbackUrl=/%5C127.0.0.1:4199/pwned");
  expect(new URL(owner.url()).origin).toBe(server.url);

  // My account: the generated password is replaced; this browser stays signed in.
  await followNav(owner, "My account");
  await owner.getByLabel("Current password").fill(generatedPassword);
  await owner.getByLabel("New password", { exact: true }).fill("owner-chosen-password-1");
  await owner.getByLabel("New password again").fill("owner-chosen-password-1");
  await owner.getByRole("button", { name: "Change password" }).click();
  await expect(owner.getByTestId("account-notice")).toContainText("Password changed");
  await owner.reload();
  await expect(owner.getByTestId("current-user")).toBeVisible();

  // Users: an operator with a chosen password, a viewer with a generated one.
  await followNav(owner, "Users");
  const newUser = owner.getByRole("form", { name: "New user" });
  await newUser.getByLabel("Username").fill("olga");
  await newUser.getByLabel("Display name").fill("Olga Operator");
  await newUser.getByLabel("Role").selectOption("operator");
  await newUser.getByLabel("Initial password (empty = generate)").fill("olga-first-password");
  await newUser.getByRole("button", { name: "Create user" }).click();
  await expect(owner.locator('[data-username="olga"]')).toBeVisible();
  await newUser.getByLabel("Username").fill("vic");
  await newUser.getByLabel("Role").selectOption("viewer");
  await newUser.getByRole("button", { name: "Create user" }).click();
  await expect(owner.getByTestId("generated-password")).toBeVisible();
  const viewerPassword = (await owner.getByTestId("generated-password").textContent())!.trim();
  expect(viewerPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
  await owner.getByRole("button", { name: "I have copied it" }).click();
  await expect(owner.locator('[data-username="vic"]')).toBeVisible();

  // The last owner cannot be demoted: one clear error, the role stays.
  await owner.getByLabel("Role of admin").selectOption("viewer");
  await confirmInDialog(owner, "Make admin a viewer?", "Make viewer");
  await expect(owner.getByTestId("users-message")).toContainText("last active owner");
  await expect(owner.getByTestId("users-message")).toHaveAttribute("data-tone", "error");
  await expect(owner.getByLabel("Role of admin")).toHaveValue("owner");

  // Each role in its own browser sees what it may.
  const operator = await newPage(browser);
  await signIn(operator, "olga", "olga-first-password");
  await expect(nav(operator).getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(nav(operator).getByRole("link", { name: "Audit log" })).toBeVisible();
  const forbidden = await operator.goto("/settings/users");
  expect(forbidden?.status()).toBe(404);
  await operator.goto("/settings/audit?action=user.created");
  await expect(operator.getByTestId("audit-row")).toHaveCount(2);

  const viewer = await newPage(browser);
  await signIn(viewer, "vic", viewerPassword);
  await expect(nav(viewer).getByRole("link", { name: "Users" })).toHaveCount(0);
  await viewer.goto("/settings/audit");
  await expect(viewer.getByTestId("audit-row").first()).toBeVisible();
  for (const action of await viewer.getByTestId("audit-action").allTextContents()) {
    expect(action).toBe("auth.login.succeeded");
  }
  const operatorToken = await viewer.request.get("/api/admin/users");
  expect(operatorToken.status()).toBe(403);

  // Reset the operator's password while its session is open: its next request is refused.
  await followNav(owner, "Users");
  await owner.locator('[data-username="olga"]').getByRole("button", { name: "Reset password" }).click();
  await confirmInDialog(owner, "Reset the password of olga?", "Reset password");
  await expect(owner.getByText("Password for olga")).toBeVisible();
  const olgaPassword = (await owner.getByTestId("generated-password").textContent())!.trim();
  const refused = await operator.request.get("/api/admin/backups");
  expect(refused.status()).toBe(401);
  await operator.goto("/settings/audit");
  await expect(operator).toHaveURL(/\/login/);
  await signIn(operator, "olga", olgaPassword);

  // The audit log, filtered to the user changes (the filter is in the URL), then exported.
  await followNav(owner, "Audit log");
  const filters = owner.getByRole("form", { name: "Audit filters" });
  await filters.getByLabel("Action starts with").fill("user.");
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(owner).toHaveURL(/action=user\./);
  // Newest first; the refused demotion of the last owner is there too (result FAILURE).
  await expect(owner.getByTestId("audit-row")).toHaveCount(5);
  const shown = await owner.getByTestId("audit-action").allTextContents();
  expect(shown).toEqual([
    "user.password.reset",
    "user.role.changed",
    "user.created",
    "user.created",
    "user.password.changed",
  ]);

  // A shared link shows the same rows.
  const shared = await newPage(browser);
  await signIn(
    shared,
    "admin",
    "owner-chosen-password-1",
    `/login?callbackUrl=${encodeURIComponent("/settings/audit?action=user.")}`,
  );
  await expect(shared).toHaveURL(/\/settings\/audit\?action=user\./);
  await expect(shared.getByTestId("audit-row")).toHaveCount(5);

  for (const [link, format] of [
    ["Export CSV", "csv"],
    ["Export NDJSON", "ndjson"],
  ] as const) {
    const downloading = owner.waitForEvent("download");
    await owner.getByRole("link", { name: link }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(new RegExp(`^opstage-audit-.*\\.${format}$`));
    const text = readFileSync((await download.path())!, "utf8").trim();
    const actions =
      format === "csv"
        ? text
            .split("\r\n")
            .slice(1)
            .map((line) => line.split(",")[5])
        : text.split("\n").map((line) => (JSON.parse(line) as { action: string }).action);
    expect(actions).toEqual(shown);
  }

  // The first page refreshes itself: a change made elsewhere appears without a reload.
  const created = await shared.request.post("/api/admin/users", { data: { username: "late", role: "viewer" } });
  expect(created.status()).toBe(201);
  await expect(owner.getByTestId("audit-row")).toHaveCount(6, { timeout: 15_000 });
  await expect(owner.getByTestId("audit-action").first()).toHaveText("user.created");

  // One event in detail, its metadata pretty-printed.
  await owner.getByRole("link", { name: "user.password.reset" }).click();
  await expect(owner.getByTestId("audit-metadata")).toContainText('"username": "olga"');

  // Retention (owners): saved from the same page, audited.
  await owner.goto("/settings/audit");
  await owner.getByLabel("Keep audit events (days; empty = forever)").fill("400");
  await owner.getByRole("button", { name: "Save retention" }).click();
  await confirmInDialog(owner, "Keep audit events for 400 days?", "Save and delete older events");
  await expect(owner.getByTestId("retention-saved")).toBeVisible();
  await owner.goto("/settings/audit?action=audit.retention");
  await expect(owner.getByTestId("audit-action")).toHaveText(["audit.retention.changed"]);
  await operator.goto("/settings/audit");
  await expect(operator.getByTestId("audit-row").first()).toBeVisible();
  await expect(operator.getByLabel("Keep audit events (days; empty = forever)")).toHaveCount(0);

  // The pages work under the Content-Security-Policy: the browser reported no violation.
  expect(cspViolations).toEqual([]);
});
