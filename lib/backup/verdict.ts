// One word per stored backup, the same on every page (Backups, Diagnostics, the restore dialog):
// what the last verification found, or, when the file was never verified, that it was not — with
// what its manifest suggests as the detail, never as the verdict.
import type { BackupEntry } from "./catalog";
import type { VerificationHow, VerificationState } from "./manifest";

export type VerdictState = "restorable" | "not verified" | "newer" | "bad";

export type Verdict = {
  state: VerdictState;
  /** The word shown: "restorable", "not verified", "made by a newer version", "corrupt", … */
  label: string;
  /** One sentence: what was found and when, or what is known without verifying. */
  detail: string;
  /** Restore is refused up front: the file is known to be bad (or too new for this build). */
  blocksRestore: boolean;
  /** When and how the file was last proven ("2026-11-27 06:10 UTC · checked after backup"), if ever. */
  proven: string | null;
};

const PROVEN_HOW: Record<VerificationHow, string> = {
  "after-backup": "checked after backup",
  "re-check": "periodic re-check",
  "by-hand": "verified by hand",
};

const BAD_LABEL: Record<Exclude<VerificationState, "restorable" | "newer">, string> = {
  corrupt: "corrupt",
  modified: "changed since written",
  "not-sqlite": "not SQLite",
  foreign: "not an Opstage database",
  unstartable: "this version cannot start on it",
};

/** `knownMigrations`: the migration names this build ships (the only thing the client lacks). */
export function verdictOf(
  entry: Pick<BackupEntry, "verification" | "lastMigration">,
  knownMigrations: readonly string[],
): Verdict {
  const v = entry.verification;
  if (v) {
    const at = `${v.at.replace("T", " ").slice(0, 16)} UTC`;
    const when = `(verified ${at})`;
    const proven = v.how ? `${at} · ${PROVEN_HOW[v.how]}` : at;
    if (v.state === "restorable") {
      return { state: "restorable", label: "restorable", detail: `${v.detail} ${when}`, blocksRestore: false, proven };
    }
    if (v.state === "newer") {
      const label = "made by a newer version";
      return { state: "newer", label, detail: `${v.detail} ${when}`, blocksRestore: true, proven };
    }
    return { state: "bad", label: BAD_LABEL[v.state], detail: `${v.detail} ${when}`, blocksRestore: true, proven };
  }
  if (entry.lastMigration && !knownMigrations.includes(entry.lastMigration)) {
    return {
      state: "newer",
      label: "made by a newer version",
      detail: `Not verified; its manifest records migration ${entry.lastMigration}, which this version does not have.`,
      blocksRestore: true,
      proven: null,
    };
  }
  return {
    state: "not verified",
    label: "not verified",
    detail: entry.lastMigration
      ? `Not verified yet; its manifest records migration ${entry.lastMigration}, which this version knows. Restore verifies it first.`
      : "Not verified yet, and it has no manifest. Restore verifies it first.",
    blocksRestore: false,
    proven: null,
  };
}
