// The roles and what each may do: below lib/auth and lib/audit alike, since both decide by role
// (the guard, and who reads which audit events) and the audit trail is written from auth.
import type { Role } from "./generated/prisma/client";

export type { Role };
export const ROLES = ["owner", "operator", "viewer"] as const satisfies readonly Role[];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, owner: 3 };

/** Whether `role` is at least `minimum` (owner ⊃ operator ⊃ viewer). */
export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * Who may do what with backups, in one place: routes guard with it, pages show or hide controls
 * with it, and the README's role matrix lists it. An operator keeps the instance backed up
 * (a backup made now stays on the server) and checks backups; anything that hands out the
 * database's contents (every password and token hash is in a copy), replaces it, or destroys
 * a copy stays with owners.
 */
export const BACKUP_PERMISSIONS = {
  list: "viewer",
  create: "operator",
  verify: "operator",
  download: "owner",
  restore: "owner",
  delete: "owner",
  upload: "owner",
  schedule: "owner",
  offsite: "owner",
  /** Browse, compare and export a backup's contents (masked, but users, tokens and the audit log). */
  inspect: "owner",
} as const satisfies Record<string, Role>;

export type BackupAction = keyof typeof BACKUP_PERMISSIONS;

export function canBackup(role: Role, action: BackupAction): boolean {
  return hasRole(role, BACKUP_PERMISSIONS[action]);
}

/** What the console shows `role` on the Backups page. */
export function backupAbilities(role: Role): Record<BackupAction, boolean> {
  const out = {} as Record<BackupAction, boolean>;
  for (const action of Object.keys(BACKUP_PERMISSIONS) as BackupAction[]) out[action] = canBackup(role, action);
  return out;
}
