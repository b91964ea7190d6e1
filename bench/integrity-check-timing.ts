// Times SQLite's integrity_check against the parallel check that proves as much
// (lib/backup/index-check.ts) on one database file, alternately, `--rounds` times each (default 2).
// Usage: npx tsx bench/integrity-check-timing.ts FILE [--rounds N]
import { checkIntegrity, checkIntegrityParallel } from "../lib/backup/worker";

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error("usage: integrity-check-timing.ts FILE [--rounds N]");
  const roundsAt = process.argv.indexOf("--rounds");
  const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 2;
  for (let round = 1; round <= rounds; round++) {
    let started = performance.now();
    const full = await checkIntegrity(file, { urgent: true });
    const fullMs = performance.now() - started;
    started = performance.now();
    const parallel = await checkIntegrityParallel(file, { urgent: true });
    const parallelMs = performance.now() - started;
    console.log(
      `round ${round}: integrity_check ${(fullMs / 1000).toFixed(2)} s (${full.integrity[0]}); ` +
        `parallel check ${(parallelMs / 1000).toFixed(2)} s (${parallel.integrity[0]}; ${parallel.by})`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
