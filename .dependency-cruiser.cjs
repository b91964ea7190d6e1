// Folder-level layering, checked in CI beside ESLint (scripts/test.sh). ESLint's import/no-cycle
// sees cycles between files only: lib/backup/a.ts → lib/offsite/b.ts → lib/backup/c.ts is no file
// cycle, yet it ties the two folders into one layer. Dependency-cruiser's folder scope adds each
// folder's imports together and finds the cycles between folders.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-folder-cycle",
      comment:
        "Imports point down between the folders of lib/ too (lib/db at the bottom, lib/system on top). " +
        "Move what needs both folders up (e.g. into lib/system), or what both need down.",
      severity: "error",
      scope: "folder",
      from: { path: "^lib/" },
      to: { circular: true },
    },
    {
      name: "lib-not-to-app",
      comment: "lib/ knows nothing of HTTP, pages or the CLI: app/, pages/ and cli/ import lib/, never the reverse.",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: "^(app|pages|cli)/|^instrumentation\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(lib/generated|node_modules)/" },
    // Resolves the "@/…" paths; type-only imports count too (a layer must not know the one above).
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
