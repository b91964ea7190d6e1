"use client";
import { useState } from "react";

// A plain form POST rather than fetch(): the browser's download manager receives the stream
// (with a progress bar, since the response has a Content-Length) and writes it straight to disk,
// where fetch() would have to hold the whole database in page memory first.
export function BackupDownload() {
  const [started, setStarted] = useState(false);
  return (
    <form
      method="post"
      action="/api/admin/backup/sqlite?via=form"
      className="mt-4 flex items-center gap-3"
      onSubmit={() => {
        setStarted(true);
        setTimeout(() => setStarted(false), 5000);
      }}
    >
      <button
        type="submit"
        className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500"
      >
        Download SQLite backup
      </button>
      {started && <span className="text-sm text-slate-500">Preparing the snapshot; your download starts shortly…</span>}
    </form>
  );
}
