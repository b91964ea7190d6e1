"use client";
// The console's navigation: from `lg` up, one row of links with the settings pages grouped under
// a "Settings" disclosure (ten links and the account controls do not fit 1280 px on one line);
// below `lg`, a Menu button showing every link. A group of one is a plain link (a viewer's
// Settings would hold only My account). The current page is marked with aria-current, and a
// group holding it is marked too.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef, useState } from "react";

export type NavItem = { href: string; label: string; group?: string };

function isCurrent(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

type Entry = { item: NavItem } | { group: string; items: NavItem[] };

/** The top-level entries, in order: a group sits where its first item would. */
function entriesOf(items: NavItem[]): Entry[] {
  const entries: Entry[] = [];
  for (const item of items) {
    const members = item.group ? items.filter((other) => other.group === item.group) : [];
    if (members.length < 2) entries.push({ item });
    else if (members[0] === item) entries.push({ group: item.group!, items: members });
  }
  return entries;
}

/** Open/closed, closed again by Escape, a click outside `within`, or a change of page. */
function useDisclosure<T extends HTMLElement>(pathname: string) {
  const [open, setOpen] = useState(false);
  const within = useRef<T>(null);
  const [shownFor, setShownFor] = useState(pathname);
  if (shownFor !== pathname) {
    setShownFor(pathname);
    setOpen(false);
  }
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    const onPointer = (event: PointerEvent) => {
      if (!within.current?.contains(event.target as Node)) setOpen(false);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("pointerdown", onPointer);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("pointerdown", onPointer);
    };
  }, [open]);
  return { open, setOpen, within };
}

const currentClass = "font-semibold text-slate-900 underline underline-offset-4";
const otherClass = "text-slate-700 hover:text-slate-900";

function NavLink({ item, pathname, className = "" }: { item: NavItem; pathname: string; className?: string }) {
  const current = isCurrent(pathname, item.href);
  return (
    <Link
      href={item.href}
      aria-current={current ? "page" : undefined}
      className={`${className} ${current ? currentClass : otherClass}`}
    >
      {item.label}
    </Link>
  );
}

function NavGroup({ group, items, pathname }: { group: string; items: NavItem[]; pathname: string }) {
  const { open, setOpen, within } = useDisclosure<HTMLLIElement>(pathname);
  const current = items.some((item) => isCurrent(pathname, item.href));
  const id = `nav-group-${group.toLowerCase()}`;
  return (
    <li ref={within} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((value) => !value)}
        className={current ? currentClass : otherClass}
      >
        {group}
        {current && <span className="sr-only"> (current section)</span>} <span aria-hidden="true">▾</span>
      </button>
      <ul
        id={id}
        hidden={!open}
        className="absolute top-full left-0 z-30 mt-2 w-44 rounded-md border border-slate-200 bg-white py-1 shadow-lg"
      >
        {items.map((item) => (
          <li key={item.href}>
            <NavLink item={item} pathname={pathname} className="block px-3 py-2 hover:bg-slate-50" />
          </li>
        ))}
      </ul>
    </li>
  );
}

export function ConsoleNav({ items }: { items: NavItem[] }) {
  const pathname = usePathname() ?? "/";
  const { open: menuOpen, setOpen: setMenuOpen, within: menuWithin } = useDisclosure<HTMLElement>(pathname);
  const entries = entriesOf(items);
  return (
    <nav aria-label="Console" className="text-sm lg:flex-1" ref={menuWithin}>
      <ul className="hidden items-center gap-x-4 whitespace-nowrap lg:flex">
        {entries.map((entry) =>
          "item" in entry ? (
            <li key={entry.item.href}>
              <NavLink item={entry.item} pathname={pathname} />
            </li>
          ) : (
            <NavGroup key={entry.group} group={entry.group} items={entry.items} pathname={pathname} />
          ),
        )}
      </ul>
      <button
        type="button"
        className="rounded-md border border-slate-300 px-2.5 py-1 text-slate-700 lg:hidden"
        aria-expanded={menuOpen}
        aria-controls="console-menu"
        onClick={() => setMenuOpen((value) => !value)}
      >
        {menuOpen ? "Close menu" : "Menu"}
      </button>
      <ul
        id="console-menu"
        hidden={!menuOpen}
        className="absolute inset-x-0 top-full z-20 divide-y divide-slate-100 border-b border-slate-200 bg-white px-4 shadow-md lg:hidden"
      >
        {items.map((item) => (
          <li key={item.href}>
            <NavLink item={item} pathname={pathname} className="block py-3" />
          </li>
        ))}
      </ul>
    </nav>
  );
}
