// `<object>.json` beside every offsite object: the backup's own manifest and what was uploaded
// (the object's sha256 and size, whether and to whom it is encrypted). A copy without it is an
// interrupted upload and is not listed.
import type { BackupManifest } from "../backup/manifest";

export const REMOTE_MANIFEST_FORMAT = "opstage-offsite-1";

export type RemoteManifest = {
  format: typeof REMOTE_MANIFEST_FORMAT;
  uploadedAt: string;
  object: {
    /** The object's name under the prefix: the backup's name, plus `.age` when encrypted. */
    name: string;
    bytes: number;
    sha256: string;
    /** The age recipient it was encrypted to, or null. */
    recipient: string | null;
  };
  backup: Omit<BackupManifest, "verification">;
};

export function remoteManifestName(objectName: string): string {
  return `${objectName}.json`;
}

export function parseRemoteManifest(text: string): RemoteManifest | null {
  try {
    const value = JSON.parse(text) as RemoteManifest;
    return value.format === REMOTE_MANIFEST_FORMAT &&
      typeof value.object?.sha256 === "string" &&
      typeof value.backup?.name === "string"
      ? value
      : null;
  } catch {
    return null;
  }
}
