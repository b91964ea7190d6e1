"use client";
import Link from "next/link";
import { useState } from "react";
import { TwoFactorEnrolment } from "../../(console)/two-factor-enrolment";

export function TwoFactorSetUp({ enabled }: { enabled: boolean }) {
  const [done, setDone] = useState(enabled);
  if (done) {
    return (
      <div className="space-y-3 text-sm">
        <p data-testid="two-factor-on">Two-factor sign-in is on for your account.</p>
        <Link
          href="/"
          className="inline-block rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500"
        >
          Continue to the console
        </Link>
      </div>
    );
  }
  return <TwoFactorEnrolment onEnabled={() => setDone(true)} />;
}
