"use client";
// Upload a backup: the picked file's SQLite header is checked in the browser first (the same
// check the server makes, lib/backup/sqlite-header.ts: not SQLite, or cut off, is said at once
// without sending a byte), then sent with XMLHttpRequest (fetch() reports no upload progress),
// and the server's verification of it is shown.
import { useRef, useState } from "react";
import type { BackupManifest } from "@/lib/backup/manifest";
import { SQLITE_HEADER_BYTES, sqliteFileProblem } from "@/lib/backup/sqlite-header";
import { formatBytes } from "@/lib/format";
import { apiErrorOf } from "../../api-client";
import { useNotice } from "../../notice";

function send(file: File, onProgress: (loaded: number) => void): Promise<BackupManifest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/admin/backups/upload?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status says enough
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as BackupManifest);
      else reject(apiErrorOf(xhr.status, body));
    };
    xhr.onerror = () => reject(new Error("The upload was cut off (network error). Nothing was stored."));
    xhr.send(file);
  });
}

export function UploadForm({ onUploaded }: { onUploaded: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<{ loaded: number; total: number } | null>(null);
  const { setNotice, fail } = useNotice("upload-message");

  const upload = async (file: File) => {
    const head = new Uint8Array(await file.slice(0, SQLITE_HEADER_BYTES).arrayBuffer());
    const problem = sqliteFileProblem(head, file.size);
    if (problem) {
      setNotice({ tone: "error", text: `${file.name} was not uploaded. ${problem}` });
      return;
    }
    setProgress({ loaded: 0, total: file.size });
    setNotice({ tone: "pending", text: `Uploading ${file.name} (${formatBytes(file.size)})…` });
    try {
      const manifest = await send(file, (loaded) => {
        setProgress({ loaded, total: file.size });
        if (loaded >= file.size) setNotice({ tone: "pending", text: `Verifying ${file.name} on the server…` });
      });
      setNotice({
        tone: "success",
        text: `Uploaded ${manifest.name}. Verified: ${manifest.verification?.detail ?? "restorable"}`,
      });
      if (input.current) input.current.value = "";
      onUploaded();
    } catch (error) {
      fail(error);
    } finally {
      setProgress(null);
    }
  };

  return (
    <div className="space-y-2">
      <form
        className="flex flex-wrap items-center gap-3 text-sm"
        onSubmit={(event) => {
          event.preventDefault();
          const file = input.current?.files?.[0];
          if (file) void upload(file);
          else setNotice({ tone: "error", text: "Choose a .db file to upload first." });
        }}
      >
        <label className="flex min-w-0 flex-wrap items-center gap-2 text-slate-700">
          Upload a backup (.db)
          <input
            ref={input}
            name="file"
            type="file"
            accept=".db,application/vnd.sqlite3"
            className="max-w-full text-sm"
            onChange={() => setNotice(null)}
          />
        </label>
        <button
          type="submit"
          className="rounded-md border border-slate-400 px-2.5 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50"
          disabled={progress !== null}
        >
          {progress ? "Uploading…" : "Upload"}
        </button>
      </form>
      {progress && (
        <div className="flex items-center gap-3 text-xs text-slate-700">
          <progress
            className="h-2 w-48 max-w-full"
            max={progress.total}
            value={progress.loaded}
            aria-label="Upload progress"
            data-testid="upload-progress"
          />
          <span>
            {formatBytes(progress.loaded)} of {formatBytes(progress.total)}
          </span>
        </div>
      )}
    </div>
  );
}
