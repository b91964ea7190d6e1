"use client";
// One "Actions" button per backup opening a short menu, instead of four buttons that push the
// row wider than the page. The menu is positioned against the viewport (fixed), so the table's
// own horizontal scroll cannot clip it; Escape or a click elsewhere closes it, and focus goes
// back to the button.
import { useEffect, useRef, useState, type CSSProperties } from "react";

export type MenuAction = {
  label: string;
  /** The accessible name: says which backup ("Verify opstage-….db"). */
  name: string;
  onSelect?: () => void;
  href?: string;
  /** With href: a page to go to, not a file to download. */
  navigate?: boolean;
  danger?: boolean;
  /** Why it cannot be used now (shown in the menu), or undefined when it can. */
  unavailable?: string;
};

export function ActionMenu({ label, actions }: { label: string; actions: MenuAction[] }) {
  const [open, setOpen] = useState(false);
  const [position, setPosition] = useState<CSSProperties>({});
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  // Below the button, or above it when the viewport has no room below; again on every scroll, so
  // the menu follows its button.
  const place = () => {
    if (!button.current) return;
    const rect = button.current.getBoundingClientRect();
    const right = Math.max(8, window.innerWidth - rect.right);
    const roomBelow = window.innerHeight - rect.bottom;
    setPosition(
      roomBelow > 220 || roomBelow > rect.top
        ? { top: rect.bottom + 4, right }
        : { bottom: window.innerHeight - rect.top + 4, right },
    );
  };
  const toggle = () => {
    if (open) return close(false);
    place();
    setOpen(true);
  };

  useEffect(() => {
    if (!open) return;
    menu.current
      ?.querySelector<HTMLElement>("[role=menuitem]:not([aria-disabled=true])")
      ?.focus({ preventScroll: true });
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") close(true);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const items = [...(menu.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
        const at = items.indexOf(document.activeElement as HTMLElement);
        const next = (at + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items[next]?.focus({ preventScroll: true });
      }
    };
    const onPointer = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) close(false);
    };
    const onScroll = () => place();
    window.addEventListener("keydown", onKey);
    window.addEventListener("pointerdown", onPointer);
    window.addEventListener("scroll", onScroll, true);
    window.addEventListener("resize", onScroll);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("pointerdown", onPointer);
      window.removeEventListener("scroll", onScroll, true);
      window.removeEventListener("resize", onScroll);
    };
  }, [open]);

  const item = "block w-full px-3 py-2 text-left text-sm hover:bg-slate-100 focus:bg-slate-100 focus:outline-none";
  return (
    <>
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        onClick={toggle}
        className="rounded-md border border-slate-400 px-2.5 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50"
      >
        Actions ▾
      </button>
      {open && (
        <div
          ref={menu}
          role="menu"
          aria-label={label}
          style={position}
          className="fixed z-30 w-60 rounded-md border border-slate-200 bg-white py-1 shadow-lg"
        >
          {actions.map((action) =>
            action.href && !action.unavailable ? (
              <a
                key={action.label}
                role="menuitem"
                href={action.href}
                download={action.navigate ? undefined : true}
                aria-label={action.name}
                className={`${item} text-slate-800`}
                onClick={() => close(true)}
              >
                {action.label}
              </a>
            ) : (
              <button
                key={action.label}
                type="button"
                role="menuitem"
                aria-label={action.unavailable ? `${action.name} (unavailable: ${action.unavailable})` : action.name}
                aria-disabled={action.unavailable ? true : undefined}
                className={`${item} ${action.unavailable ? "cursor-not-allowed text-slate-600" : action.danger ? "text-red-800" : "text-slate-800"}`}
                onClick={() => {
                  if (action.unavailable) return;
                  // Focus back on the button first: a dialog the action opens returns it there.
                  close(true);
                  action.onSelect?.();
                }}
              >
                {action.label}
                {action.unavailable && (
                  <span className="block text-xs text-slate-600">Unavailable: {action.unavailable}</span>
                )}
              </button>
            ),
          )}
        </div>
      )}
    </>
  );
}
