import { safeCallbackPath } from "@/lib/auth/safe-callback";
import { LoginForm } from "./login-form";

export const metadata = { title: "Sign in · Opstage CE" };

export default async function LoginPage({
  searchParams,
}: {
  // A parameter given twice arrives as an array.
  searchParams: Promise<{
    callbackUrl?: string | string[];
    restoring?: string | string[];
    restored?: string | string[];
  }>;
}) {
  const { callbackUrl, restoring, restored } = await searchParams;
  const next = safeCallbackPath(callbackUrl);
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <h1 className="text-xl font-semibold">Opstage CE</h1>
        <p className="mb-6 text-sm text-slate-500">Sign in to the console</p>
        {restoring && (
          <p className="mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800">
            A backup is being restored. Try again in a moment.
          </p>
        )}
        {restored && (
          <p className="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" data-testid="restored-notice">
            The backup was restored. Sign in with an account from the restored database.
          </p>
        )}
        <LoginForm next={next} />
      </div>
    </main>
  );
}
