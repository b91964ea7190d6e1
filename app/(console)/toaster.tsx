"use client";
// Where every notice (notice.tsx) appears: one place for the whole console, outside the pages, so
// a notice outlives the panel that raised it. The cards are our own (toast.custom), styled with
// the console's tones in both colour schemes; sonner stacks, times and announces them.
import { Toaster } from "sonner";

export function ConsoleToaster() {
  return <Toaster position="bottom-right" expand visibleToasts={5} offset={16} mobileOffset={12} />;
}
