import type { Role } from "../generated/prisma/client";

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
