// Next.js calls register() once per server process and waits for it before serving requests,
// so migrations finish before the first request is answered. Node runtime only: the edge
// runtime has no filesystem and no SQLite.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startOpstage } = await import("./lib/system/startup");
  await startOpstage();
}
