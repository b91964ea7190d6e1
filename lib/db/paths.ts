// Where the files the app ships with live at run time. The same code runs from the project root
// (`next dev`, tsx), from `.next/standalone/server.js` and from the image's /app/cli.js, so paths
// are looked up rather than assumed.
import { existsSync } from "node:fs";
import path from "node:path";

/** The first of cwd, the entry script's folder and its parent that holds `relative`. */
export function findAppPath(relative: string): string {
  const entry = process.argv[1] ? path.dirname(path.resolve(/*turbopackIgnore: true*/ process.argv[1])) : process.cwd();
  const candidates = [process.cwd(), entry, path.dirname(entry)].map((dir) =>
    path.join(/*turbopackIgnore: true*/ dir, relative),
  );
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`cannot find ${relative} (looked in ${candidates.join(", ")})`);
  return found;
}

export function migrationsDir(): string {
  return findAppPath(path.join("prisma", "migrations"));
}
