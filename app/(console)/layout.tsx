import type { ReactNode } from "react";
import { hasRole } from "@/lib/roles";
import type { Role } from "@/lib/generated/prisma/client";
import { BackupHealthBanner } from "./backup-health-banner";
import { ConsoleNav, type NavItem } from "./console-nav";
import { requirePageRole } from "./require-page-role";
import { RestoreBanner } from "./restore-banner";
import { SignOutButton } from "./sign-out-button";
import { ConsoleToaster } from "./toaster";

export const dynamic = "force-dynamic";

// Every console page, one line each (so pages added on other branches merge as one line).
// A role sees only the pages it can use (the others answer 404 to it). The "Settings" group is
// one disclosure in the wide nav, so the row fits 1280 px.
const NAV: (NavItem & { minimum: Role })[] = [
  { href: "/", label: "Overview", minimum: "viewer" },
  { href: "/settings/backups", label: "Backups", minimum: "viewer" },
  { href: "/settings/replication", label: "Replication", minimum: "viewer" },
  { href: "/settings/diagnostics", label: "Diagnostics", minimum: "viewer" },
  { href: "/settings/audit", label: "Audit log", minimum: "viewer" },
  { href: "/settings/users", label: "Users", minimum: "owner", group: "Settings" },
  { href: "/settings/alerts", label: "Alerts", minimum: "owner", group: "Settings" },
  { href: "/settings/tokens", label: "API tokens", minimum: "owner", group: "Settings" },
  { href: "/settings/account", label: "My account", minimum: "viewer", group: "Settings" },
];

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const { user } = await requirePageRole("viewer");
  const items = NAV.filter((item) => hasRole(user.role, item.minimum)).map(({ minimum: _, ...item }) => item);
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:shadow"
      >
        Skip to content
      </a>
      <header className="relative border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-3 gap-y-2 px-4 py-3 sm:gap-x-6 sm:px-6">
          <span className="font-semibold">Opstage CE</span>
          <ConsoleNav items={items} />
          <div className="ml-auto flex min-w-0 items-center gap-3 text-sm lg:ml-0">
            <span className="flex min-w-0 items-center gap-1.5 text-slate-700" data-testid="current-user">
              <span className="max-w-24 truncate sm:max-w-48">{user.displayName}</span>
              <span className="hidden rounded bg-slate-100 px-1.5 py-0.5 text-xs sm:inline">{user.role}</span>
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      {user.role === "owner" && <BackupHealthBanner />}
      {user.role === "owner" && <RestoreBanner />}
      <main id="main" tabIndex={-1} className="mx-auto max-w-5xl px-4 py-6 focus:outline-none sm:px-6 sm:py-8">
        {children}
      </main>
      <ConsoleToaster />
    </div>
  );
}
