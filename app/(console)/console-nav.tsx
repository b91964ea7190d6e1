"use client";
// The console's navigation: a row of links from `sm` up, a disclosure button below it (a phone
// has no room for seven links and the account controls side by side). The current page is
// marked with aria-current.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";

export type NavItem = { href: string; label: string };

function isCurrent(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

export function ConsoleNav({ items }: { items: NavItem[] }) {
  const pathname = usePathname() ?? "/";
  const [open, setOpen] = useState(false);
  // Close the phone menu when a link took us elsewhere.
  const [shownFor, setShownFor] = useState(pathname);
  if (shownFor !== pathname) {
    setShownFor(pathname);
    setOpen(false);
  }
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open]);
  const link = (item: NavItem, extra: string) => {
    const current = isCurrent(pathname, item.href);
    return (
      <Link
        key={item.href}
        href={item.href}
        aria-current={current ? "page" : undefined}
        className={`${extra} ${
          current ? "font-semibold text-slate-900 underline underline-offset-4" : "text-slate-700 hover:text-slate-900"
        }`}
      >
        {item.label}
      </Link>
    );
  };
  return (
    <nav aria-label="Console" className="text-sm lg:flex-1">
      <ul className="hidden flex-wrap gap-x-4 gap-y-1 lg:flex">
        {items.map((item) => (
          <li key={item.href}>{link(item, "")}</li>
        ))}
      </ul>
      <button
        type="button"
        className="rounded-md border border-slate-300 px-2.5 py-1 text-slate-700 lg:hidden"
        aria-expanded={open}
        aria-controls="console-menu"
        onClick={() => setOpen((value) => !value)}
      >
        {open ? "Close menu" : "Menu"}
      </button>
      <ul
        id="console-menu"
        hidden={!open}
        className="absolute inset-x-0 top-full z-20 divide-y divide-slate-100 border-b border-slate-200 bg-white px-4 shadow-md lg:hidden"
      >
        {items.map((item) => (
          <li key={item.href}>{link(item, "block py-3")}</li>
        ))}
      </ul>
    </nav>
  );
}
