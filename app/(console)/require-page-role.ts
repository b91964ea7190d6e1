// requireRole() for pages: an unsigned visitor (or a disabled account) is sent to /login.
import { redirect } from "next/navigation";
import { AuthError, requireRole, type Actor } from "@/lib/auth/require-role";
import type { Role } from "@/lib/generated/prisma/client";

export async function requirePageRole(minimum: Role): Promise<Actor> {
  try {
    return await requireRole(minimum);
  } catch (error) {
    if (error instanceof AuthError && error.status === 401) redirect("/login");
    if (error instanceof Error && error.name === "MaintenanceError") redirect("/login?restoring=1");
    throw error;
  }
}
