// Where a user whom OPSTAGE_REQUIRE_2FA asks for a second factor is sent after signing in with
// the password, before any other page (require-page-role.ts); anyone may set one up here too.
// Outside the console's layout, whose guard would send such a user straight back here.
import { redirect } from "next/navigation";
import { AuthError } from "@/lib/auth/actor";
import { requireRole } from "@/lib/auth/require-role";
import { twoFactorStatus } from "@/lib/auth/two-factor";
import { twoFactorRequired } from "@/lib/auth/two-factor-policy";
import { getConfig } from "@/lib/config";
import { SignOutButton } from "../../(console)/sign-out-button";
import { TwoFactorSetUp } from "./two-factor-set-up";

export const metadata = { title: "Two-factor sign-in · Opstage CE" };
export const dynamic = "force-dynamic";

export default async function TwoFactorPage() {
  let actor;
  try {
    actor = await requireRole("viewer", undefined, { beforeTwoFactorEnrolment: true });
  } catch (error) {
    if (error instanceof AuthError && error.status === 401) redirect("/login?callbackUrl=/two-factor");
    if (error instanceof Error && error.name === "MaintenanceError") redirect("/login?restoring=1");
    throw error;
  }
  const status = await twoFactorStatus(actor.user.id);
  const required = twoFactorRequired(getConfig().requireTwoFactor, actor.user.role);
  return (
    <main className="flex min-h-screen items-center justify-center p-4 sm:p-6">
      <div className="w-full max-w-xl space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
        <div className="flex items-start gap-3">
          <div className="mr-auto">
            <h1 className="text-xl font-semibold">Two-factor sign-in</h1>
            <p className="text-sm text-slate-500">
              Signed in as <span className="font-mono">{actor.user.username}</span> ({actor.user.role}).
            </p>
          </div>
          <SignOutButton />
        </div>
        {required && !status.enabled && (
          <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="two-factor-required">
            This console requires a second factor for your role. Set it up to continue: until then no other page opens.
          </p>
        )}
        <TwoFactorSetUp enabled={status.enabled} />
      </div>
    </main>
  );
}
