// Prisma CLI configuration. Only `prisma generate` is run through the CLI (see
// scripts/prisma-generate.mjs); migrations are written by scripts/migration-create.mjs and
// applied at start by lib/migrate, so no datasource URL is needed here.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
