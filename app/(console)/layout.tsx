import Link from "next/link";
import type { ReactNode } from "react";
import { hasRole } from "@/lib/auth/roles";
import type { Role } from "@/lib/generated/prisma/client";
import { requirePageRole } from "./require-page-role";
import { SignOutButton } from "./sign-out-button";

export const dynamic = "force-dynamic";

const NAV: { href: string; label: string; minimum: Role }[] = [
  { href: "/", label: "Overview", minimum: "viewer" },
  { href: "/settings/backups", label: "Backups", minimum: "viewer" },
  { href: "/settings/replication", label: "Replication", minimum: "viewer" },
  { href: "/settings/tokens", label: "API tokens", minimum: "viewer" },
  { href: "/settings/diagnostics", label: "Diagnostics", minimum: "viewer" },
  { href: "/settings/users", label: "Users", minimum: "owner" },
  { href: "/settings/audit", label: "Audit log", minimum: "viewer" },
  { href: "/settings/account", label: "My account", minimum: "viewer" },
];

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const { user } = await requirePageRole("viewer");
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl items-center gap-6 px-6 py-3">
          <span className="font-semibold">Opstage CE</span>
          <nav className="flex gap-4 text-sm">
            {NAV.filter((item) => hasRole(user.role, item.minimum)).map((item) => (
              <Link key={item.href} href={item.href} className="text-slate-600 hover:text-slate-900">
                {item.label}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-slate-600" data-testid="current-user">
              {user.displayName} <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">{user.role}</span>
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-5xl px-6 py-8">{children}</main>
    </div>
  );
}
