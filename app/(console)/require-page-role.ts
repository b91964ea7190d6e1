// requireRole() for pages: an unsigned visitor (or a disabled account, or an ended session) is
// sent to /login; a user who must set up a second factor first, to its enrolment; a signed-in
// user below the page's role gets a 404, as if the page did not exist.
import { notFound, redirect } from "next/navigation";
import { AuthError, type Actor } from "@/lib/auth/actor";
import { requireRole, TWO_FACTOR_ENROLMENT_PATH } from "@/lib/auth/require-role";
import type { Role } from "@/lib/generated/prisma/client";

export async function requirePageRole(minimum: Role): Promise<Actor> {
  try {
    return await requireRole(minimum);
  } catch (error) {
    if (error instanceof AuthError && error.status === 401) redirect("/login");
    if (error instanceof AuthError && error.code === "two_factor_enrolment_required") {
      redirect(TWO_FACTOR_ENROLMENT_PATH);
    }
    if (error instanceof AuthError && error.status === 403) notFound();
    if (error instanceof Error && error.name === "MaintenanceError") redirect("/login?restoring=1");
    throw error;
  }
}
